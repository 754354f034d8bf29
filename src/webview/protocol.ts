/**
 * The cost dashboard's messages, both directions, one type per message (GitLens `webviews/ipc`): the webview sends
 * `ready` first and the host posts nothing before it; requests that expect an answer carry a `requestId` that the
 * reply repeats. No `vscode` import and no DOM: the host, the webview bundle and plain-Node tests share this file.
 *
 * Everything that arrives from the webview is untrusted until {@link parseWebviewMessage} accepted it: the page
 * renders ledger strings, and a message is only data, never a command line or a settings value (applying a
 * recommendation names it by id; the host looks the id up in what it computed itself).
 */
import type {
  DashboardData,
  DashboardDecisionPage,
  DashboardRange,
  DashboardRecommendation,
  DashboardVerified,
} from '../core/ledger/dashboard';

export const DASHBOARD_PROTOCOL_VERSION = 1;

/**
 * The ranges the page offers, in order, for the page, the panel and the validation below: the ledger's
 * {@link DashboardRange} (src/core/ledger/dashboard.ts, which a browser bundle cannot import), held as a record so
 * that the compiler rejects a range missing here or one the ledger does not know.
 */
const RANGE_KEYS: { readonly [R in DashboardRange]: true } = { 7: true, 30: true, 90: true };
export const RANGES: readonly DashboardRange[] = Object.keys(RANGE_KEYS)
  .map(Number)
  .sort((a, b) => a - b) as DashboardRange[];

export function isRange(value: unknown): value is DashboardRange {
  return (RANGES as readonly unknown[]).includes(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Host -> webview
// ---------------------------------------------------------------------------------------------------------------

/** A new snapshot (after `ready`, a range change, a recorded request or a settings change). */
export interface UpdateMessage {
  readonly type: 'update';
  readonly data: DashboardData;
}

/** A recommendation as the webview shows it: no action object, only what applying would write. */
export type RecommendationView = Omit<DashboardRecommendation, 'action'>;

/** Recommendations of a range: computed after the first paint (slower on a large ledger). */
export type RecommendationsMessage =
  | { readonly type: 'recommendations'; readonly rangeDays: DashboardRange; readonly state: 'loading' }
  | {
      readonly type: 'recommendations';
      readonly rangeDays: DashboardRange;
      readonly state: 'ready';
      readonly items: readonly RecommendationView[];
    }
  | { readonly type: 'recommendations'; readonly rangeDays: DashboardRange; readonly state: 'error'; readonly message: string };

/**
 * The range's verified routing (verify-then-escalate): counted after the first paint, since it reads the range's raw
 * requests (no rollup holds the cascade columns).
 */
export type VerifiedMessage =
  | { readonly type: 'verified'; readonly rangeDays: DashboardRange; readonly state: 'ready'; readonly data: DashboardVerified }
  | { readonly type: 'verified'; readonly rangeDays: DashboardRange; readonly state: 'error'; readonly message: string };

/** The answer to {@link LoadDecisionsMessage}. */
export interface DecisionsMessage {
  readonly type: 'decisions';
  readonly requestId: number;
  readonly page: DashboardDecisionPage;
}

/** The answer to {@link ExportMessage} and {@link ApplyRecommendationMessage}: done, cancelled or failed. */
export interface ReplyMessage {
  readonly type: 'reply';
  readonly requestId: number;
  readonly ok: boolean;
  /** A sentence for the user (shown in the page) when something went wrong or was cancelled. */
  readonly message?: string;
}

/** The snapshot could not be built; the page keeps what it shows and says why. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
}

export type HostMessage = UpdateMessage | RecommendationsMessage | VerifiedMessage | DecisionsMessage | ReplyMessage | ErrorMessage;

// ---------------------------------------------------------------------------------------------------------------
// Webview -> host
// ---------------------------------------------------------------------------------------------------------------

/** The page is listening. `rangeDays` is the range it restored from its state (after a reload), if any. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly protocol: number;
  readonly rangeDays?: DashboardRange;
}

export interface SetRangeMessage {
  readonly type: 'setRange';
  readonly rangeDays: DashboardRange;
}

export interface RefreshMessage {
  readonly type: 'refresh';
}

/** Export the shown range; the host shows a save dialog. */
export interface ExportMessage {
  readonly type: 'export';
  readonly requestId: number;
  readonly format: 'csv' | 'json';
}

/** Apply the recommendation with this id (from the last `recommendations` message); the host asks to confirm. */
export interface ApplyRecommendationMessage {
  readonly type: 'applyRecommendation';
  readonly requestId: number;
  readonly id: string;
}

/** The next page of decisions, older than `before` (the last row shown). */
export interface LoadDecisionsMessage {
  readonly type: 'loadDecisions';
  readonly requestId: number;
  readonly before: { readonly startedAt: number; readonly id: string };
}

export const DASHBOARD_COMMANDS = ['setApiKey', 'openSettings', 'showLog'] as const;
/** Commands the page may ask for (the empty state's buttons); the host maps them to command ids. */
export type DashboardCommand = (typeof DASHBOARD_COMMANDS)[number];

export interface RunCommandMessage {
  readonly type: 'runCommand';
  readonly command: DashboardCommand;
}

/** The page drew an update; `ms` from receiving it to the next animation frame (logged at trace level). */
export interface RenderedMessage {
  readonly type: 'rendered';
  readonly ms: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests and their replies
// ---------------------------------------------------------------------------------------------------------------

/**
 * Each request the page sends and the message(s) that answer it, matched by `requestId` (GitLens's
 * `IpcRequest<Params, Response>`): the page's request helper (media/dashboard/requests.ts) and the host's controller
 * both read the reply type from here, so a request can only be answered, and awaited, with its own reply.
 */
export interface DashboardRequests {
  readonly export: { readonly request: ExportMessage; readonly reply: ReplyMessage };
  readonly applyRecommendation: { readonly request: ApplyRecommendationMessage; readonly reply: ReplyMessage };
  /** A page of decisions, or a failed reply that says why there is none. */
  readonly loadDecisions: { readonly request: LoadDecisionsMessage; readonly reply: DecisionsMessage | ReplyMessage };
}

export type RequestType = keyof DashboardRequests;
/** The message of a request (all of them without a type argument). */
export type RequestMessage<T extends RequestType = RequestType> = DashboardRequests[T]['request'];
/** What the page passes besides the type: the request without `type` and `requestId`. */
export type RequestParams<T extends RequestType> = Omit<RequestMessage<T>, 'type' | 'requestId'>;
/** The message(s) that may answer a request (all of them without a type argument). */
export type ReplyTo<T extends RequestType = RequestType> = DashboardRequests[T]['reply'];
/** A reply as the host's handler returns it: without the `requestId`, which the controller copies from the request. */
export type ReplyBody<T extends RequestType> = ReplyTo<T> extends infer M ? (M extends unknown ? Omit<M, 'requestId'> : never) : never;

/** Which message types answer each request: the page drops a message with a known id and a type that does not. */
export const REPLY_TYPES: { readonly [T in RequestType]: readonly ReplyTo<T>['type'][] } = {
  export: ['reply'],
  applyRecommendation: ['reply'],
  loadDecisions: ['decisions', 'reply'],
};

const REPLY_MESSAGE_TYPES: ReadonlySet<string> = new Set(Object.values(REPLY_TYPES).flat());

/** Whether a host message answers a request (then it carries the request's `requestId`). */
export function isReply(message: HostMessage): message is ReplyTo {
  return REPLY_MESSAGE_TYPES.has(message.type);
}

export type WebviewMessage =
  | ReadyMessage
  | SetRangeMessage
  | RefreshMessage
  | ExportMessage
  | ApplyRecommendationMessage
  | LoadDecisionsMessage
  | RunCommandMessage
  | RenderedMessage;

export type ParseResult = { readonly ok: true; readonly message: WebviewMessage } | { readonly ok: false; readonly reason: string };

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

/** Longest id the host accepts (recommendation ids and request ids are far shorter). */
export const MAX_ID_LENGTH = 256;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

const isRequestId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;

/** The fields each message may have besides `type` (required ones first), and how to check each. */
const SHAPES: Readonly<Record<WebviewMessage['type'], { required: readonly string[]; optional?: readonly string[] }>> = {
  ready: { required: ['protocol'], optional: ['rangeDays'] },
  setRange: { required: ['rangeDays'] },
  refresh: { required: [] },
  export: { required: ['requestId', 'format'] },
  applyRecommendation: { required: ['requestId', 'id'] },
  loadDecisions: { required: ['requestId', 'before'] },
  runCommand: { required: ['command'] },
  rendered: { required: ['ms'] },
};

const CHECKS: Readonly<Record<string, (value: unknown) => string | undefined>> = {
  protocol: (v) => (v === DASHBOARD_PROTOCOL_VERSION ? undefined : `protocol must be ${DASHBOARD_PROTOCOL_VERSION}`),
  rangeDays: (v) => (isRange(v) ? undefined : `rangeDays must be ${RANGES.slice(0, -1).join(', ')} or ${RANGES.at(-1)}`),
  requestId: (v) => (isRequestId(v) ? undefined : 'requestId must be a non-negative safe integer'),
  format: (v) => (v === 'csv' || v === 'json' ? undefined : 'format must be "csv" or "json"'),
  id: (v) => (isId(v) ? undefined : `id must be a string of 1 to ${MAX_ID_LENGTH} characters`),
  command: (v) =>
    (DASHBOARD_COMMANDS as readonly unknown[]).includes(v) ? undefined : `command must be one of ${DASHBOARD_COMMANDS.join(', ')}`,
  ms: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'ms must be a finite number >= 0'),
  before: (v) => {
    if (!isRecord(v)) return 'before must be an object';
    const keys = Object.keys(v);
    if (keys.length !== 2 || !('startedAt' in v) || !('id' in v)) return 'before must have exactly startedAt and id';
    if (typeof v['startedAt'] !== 'number' || !Number.isFinite(v['startedAt'])) return 'before.startedAt must be a finite number';
    return isId(v['id']) ? undefined : `before.id must be a string of 1 to ${MAX_ID_LENGTH} characters`;
  },
};

/**
 * Checks a message from the webview: a plain object whose `type` is known, with exactly the fields of that type,
 * each of the right type and range. Returns the typed message, or the reason it was rejected. Never throws (a
 * getter or a proxy on the value cannot run: only plain objects, as structured clone delivers them, pass).
 */
export function parseWebviewMessage(value: unknown): ParseResult {
  try {
    if (!isRecord(value)) return { ok: false, reason: 'not a plain object' };
    const type = value['type'];
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SHAPES, type)) {
      return { ok: false, reason: `unknown message type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type}` };
    }
    const shape = SHAPES[type as WebviewMessage['type']];
    const allowed = new Set(['type', ...shape.required, ...(shape.optional ?? [])]);
    for (const key of Object.keys(value)) {
      if (!allowed.has(key)) return { ok: false, reason: `${type}: unexpected field ${JSON.stringify(key.slice(0, 40))}` };
    }
    for (const key of shape.required) {
      if (!(key in value)) return { ok: false, reason: `${type}: missing ${key}` };
    }
    for (const key of allowed) {
      if (key === 'type' || !(key in value)) continue;
      const problem = CHECKS[key]!(value[key]);
      if (problem) return { ok: false, reason: `${type}: ${problem}` };
    }
    return { ok: true, message: value as unknown as WebviewMessage };
  } catch (error) {
    return { ok: false, reason: `unreadable message (${error instanceof Error ? error.name : 'error'})` };
  }
}
