/**
 * Edits of the user's YAML file for the CLI's `assign AGENT P1,P2 [--reasoning S]` and `bulk cost|performance|balanced`:
 * through the yaml Document API, so comments, blank lines, key order and quoting survive. The result is validated
 * before it is returned; the caller writes it only when `ok`.
 */
import type { Pair, YAMLMap, YAMLSeq } from 'yaml';
import { Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, stringify } from 'yaml';

import { BUILTIN_PROVIDER_IDS } from '../providers/types';
import type { ConfigDiagnostic } from './diagnostics';
import { didYouMean } from './diagnostics';
import { loadConfigText } from './load';
import type { PresetOptions } from './presets';
import { presetAssignments } from './presets';
import type { AgentId, Config, PresetName } from './types';
import { AGENT_IDS } from './types';

export interface YamlEditResult {
  /** Whether the edit applied and the result validates; write `text` only then. */
  readonly ok: boolean;
  /** The edited file text, or the unchanged input (`''` for a missing file) when not `ok`. */
  readonly text: string;
  /** Errors that stopped the edit, or warnings about it (a duplicate provider dropped). */
  readonly diagnostics: readonly ConfigDiagnostic[];
}

export interface AgentAssignment {
  readonly chain: readonly string[];
  /** Absent: a short note that the chain was assigned by hand replaces any earlier reasoning (it argued for another chain). */
  readonly reasoning?: string;
}

export interface YamlEditOptions {
  /**
   * Provider ids a chain may name. Default: the built-in ids plus the custom providers the edited file declares (the
   * CLI should pass the resolved configuration's ids, which also cover a workspace's providers).
   */
  readonly knownProviders?: Iterable<string>;
}

const NEW_FILE_HEADER =
  ' Model Router configuration (user file). Schema and every field: schemas/model-router.schema.json.\n' +
  ' API keys never go here: use "Model Router: Set API Key" or environment variables.';

interface Wanted {
  readonly agent: AgentId;
  readonly chain: readonly string[];
  readonly reasoning: string;
}

function error(file: string, key: string, message: string): ConfigDiagnostic {
  return { file, key, message, severity: 'error' };
}

function fail(text: string | undefined, diagnostics: readonly ConfigDiagnostic[]): YamlEditResult {
  return { ok: false, text: text ?? '', diagnostics };
}

function declaredProviders(doc: Document): string[] {
  const providers = doc.get('providers');
  if (!isMap(providers)) return [];
  return providers.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : '')).filter((id) => id !== '');
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => keyOf(pair) === key);
}

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  return isNode(node) ? (node.range ?? undefined) : undefined;
}

function scalarText(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

// ---------------------------------------------------------------------------------------------------------------------
// Text splices: the file stays byte for byte the same outside the values that change
// ---------------------------------------------------------------------------------------------------------------------

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The indentation step the file uses (its smallest indentation), 2 when it has none. */
function indentUnit(text: string): number {
  let unit = Infinity;
  for (const line of text.split('\n')) {
    const match = /^( +)[^\s#]/.exec(line);
    if (match !== null) unit = Math.min(unit, match[1]!.length);
  }
  return Number.isFinite(unit) ? unit : 2;
}

function renderAgent(indent: number, unit: number, wanted: Wanted): string {
  const pad = ' '.repeat(indent);
  const inner = ' '.repeat(indent + unit);
  return (
    `${pad}${wanted.agent}:\n` +
    `${inner}chain: [${wanted.chain.map(scalarText).join(', ')}]\n` +
    `${inner}reasoning: ${scalarText(wanted.reasoning)}\n`
  );
}

/**
 * Splices that make the wanted assignments in a block-style file, or undefined when the file's shape needs the
 * Document API instead (flow-style maps, empty `agents:` and the like).
 */
function planSplices(text: string, doc: Document, lineCounter: LineCounter, wanted: readonly Wanted[]): Splice[] | undefined {
  const root = doc.contents;
  if (!isMap(root) || root.flow === true) return undefined;
  const unit = indentUnit(text);
  const column = (node: unknown): number => lineCounter.linePos(rangeOf(node)?.[0] ?? 0).col - 1;
  const endOf = (map: YAMLMap): { at: number; prefix: string } => {
    const at = map.range?.[1] ?? text.length;
    return { at, prefix: at > 0 && text[at - 1] !== '\n' ? '\n' : '' };
  };
  const agentsPair = findPair(root, 'agents');
  if (agentsPair === undefined) {
    const prefix = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
    return [{ start: text.length, end: text.length, text: `${prefix}agents:\n${wanted.map((w) => renderAgent(unit, unit, w)).join('')}` }];
  }
  const agents = agentsPair.value;
  if (!isMap(agents) || agents.flow === true || agents.items.length === 0) return undefined;
  const agentIndent = column(agents.items[0]!.key);
  const splices: Splice[] = [];
  for (const item of wanted) {
    const pair = findPair(agents, item.agent);
    if (pair === undefined) {
      const { at, prefix } = endOf(agents);
      splices.push({ start: at, end: at, text: prefix + renderAgent(agentIndent, unit, item) });
      continue;
    }
    const entry = pair.value;
    if (!isMap(entry) || entry.flow === true || entry.items.length === 0) return undefined;
    const keyIndent = ' '.repeat(column(entry.items[0]!.key));
    const inserts: string[] = [];

    const chainPair = findPair(entry, 'chain');
    const chainValue = chainPair?.value;
    if (chainPair === undefined) {
      inserts.push(`${keyIndent}chain: [${item.chain.map(scalarText).join(', ')}]\n`);
    } else if (isSeq(chainValue) && chainValue.flow !== true && chainValue.items.length > 0 && chainValue.range) {
      const end = rangeOf(chainValue.items[chainValue.items.length - 1])?.[1];
      if (end === undefined) return undefined;
      const dash = ' '.repeat(column(chainValue));
      splices.push({ start: chainValue.range[0], end, text: item.chain.map((id) => `- ${scalarText(id)}`).join(`\n${dash}`) });
    } else if (isSeq(chainValue) && chainValue.range) {
      splices.push({ start: chainValue.range[0], end: chainValue.range[1], text: `[${item.chain.map(scalarText).join(', ')}]` });
    } else {
      return undefined;
    }

    const reasoningPair = findPair(entry, 'reasoning');
    const reasoningValue = reasoningPair?.value;
    if (reasoningPair === undefined) {
      inserts.push(`${keyIndent}reasoning: ${scalarText(item.reasoning)}\n`);
    } else if (isScalar(reasoningValue) && typeof reasoningValue.value === 'string' && reasoningValue.range) {
      const [start, end] = reasoningValue.range;
      const keepNewline = end > start && text[end - 1] === '\n' ? '\n' : '';
      splices.push({ start, end, text: scalarText(item.reasoning) + keepNewline });
    } else {
      return undefined;
    }

    if (inserts.length > 0) {
      const { at, prefix } = endOf(entry);
      splices.push({ start: at, end: at, text: prefix + inserts.join('') });
    }
  }
  return splices;
}

function applySplices(text: string, splices: readonly Splice[]): string {
  // Back to front, so earlier offsets stay valid; equal offsets keep their planned order.
  const ordered = splices.map((splice, index) => ({ splice, index })).sort((a, b) => b.splice.start - a.splice.start || b.index - a.index);
  let out = text;
  for (const { splice } of ordered) out = out.slice(0, splice.start) + splice.text + out.slice(splice.end);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Document API (new files, flow-style files): comments survive, spacing is normalised
// ---------------------------------------------------------------------------------------------------------------------

/** A chain node in the style of the one it replaces (flow `[a, b]` by default), keeping its comments. */
function chainNode(doc: Document, chain: readonly string[], previous: unknown): YAMLSeq {
  const node = doc.createNode([...chain]) as YAMLSeq;
  if (isSeq(previous)) {
    node.flow = previous.flow ?? false;
    if (previous.comment !== undefined) node.comment = previous.comment;
    if (previous.commentBefore !== undefined) node.commentBefore = previous.commentBefore;
  } else {
    node.flow = true;
  }
  return node;
}

function editWithDocument(doc: Document, wanted: readonly Wanted[]): string {
  for (const path of [['agents'], ...wanted.map((w) => ['agents', w.agent])]) {
    if (!isMap(doc.getIn(path, true))) doc.setIn(path, doc.createNode({}));
  }
  for (const item of wanted) {
    doc.setIn(['agents', item.agent, 'chain'], chainNode(doc, item.chain, doc.getIn(['agents', item.agent, 'chain'], true)));
    doc.setIn(['agents', item.agent, 'reasoning'], item.reasoning);
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Whether `edited` holds exactly the wanted assignments and, apart from them, the same data as `before`. */
function isExactEdit(before: unknown, edited: string, wanted: readonly Wanted[]): boolean {
  const after = parseDocument(edited, { logLevel: 'error' });
  if (after.errors.length > 0) return false;
  const strip = (value: unknown): string => {
    const copy = JSON.parse(JSON.stringify(value ?? {})) as { agents?: Record<string, unknown> };
    for (const item of wanted) delete copy.agents?.[item.agent];
    if (copy.agents !== undefined && Object.keys(copy.agents).length === 0) delete copy.agents;
    return JSON.stringify(copy);
  };
  const data = after.toJS() as { agents?: Record<string, { chain?: unknown; reasoning?: unknown }> };
  return (
    wanted.every((item) => {
      const entry = data.agents?.[item.agent];
      return JSON.stringify(entry?.chain) === JSON.stringify(item.chain) && entry?.reasoning === item.reasoning;
    }) && strip(before) === strip(data)
  );
}

/**
 * Sets several agents' chains (and reasonings) in the YAML text, creating the file content when `text` is undefined or
 * blank. In a block-style file only the changed values are rewritten (everything else stays byte for byte); other
 * shapes go through the yaml Document API (comments kept, spacing normalised). Chains lose duplicates (with a
 * warning); an unknown agent or provider id, a syntax error, or a file that does not validate stops the edit.
 */
export function assignAgentsInYaml(
  file: string,
  text: string | undefined,
  assignments: Readonly<Partial<Record<AgentId, AgentAssignment>>>,
  options: YamlEditOptions = {},
): YamlEditResult {
  const blank = text === undefined || text.trim() === '';
  const source = blank ? '' : text;
  const lineCounter = new LineCounter();
  const doc = blank ? new Document({ version: 1 }) : parseDocument(source, { lineCounter, logLevel: 'error' });
  if (blank) {
    doc.commentBefore = NEW_FILE_HEADER;
  } else {
    if (doc.errors.length > 0) return fail(text, loadConfigText(file, source).diagnostics);
    if (doc.contents !== null && !isMap(doc.contents)) {
      return fail(text, [error(file, '', 'the file must be a mapping (key: value lines) to add agents to it')]);
    }
  }

  const known = new Set<string>(options.knownProviders ?? [...BUILTIN_PROVIDER_IDS, ...declaredProviders(doc)]);
  const diagnostics: ConfigDiagnostic[] = [];
  const wanted: Wanted[] = [];
  for (const [agent, assignment] of Object.entries(assignments) as [string, AgentAssignment | undefined][]) {
    if (assignment === undefined) continue;
    const key = `agents.${agent}`;
    if (!(AGENT_IDS as readonly string[]).includes(agent)) {
      const guess = didYouMean(agent, AGENT_IDS);
      diagnostics.push(
        error(file, key, `unknown agent "${agent}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ''}; agents: ${AGENT_IDS.join(', ')}`),
      );
      continue;
    }
    const chain: string[] = [];
    for (const provider of assignment.chain) {
      if (chain.includes(provider)) {
        diagnostics.push({ file, key: `${key}.chain`, message: `"${provider}" is listed twice; the later one is dropped`, severity: 'warning' });
      } else if (!known.has(provider)) {
        const guess = didYouMean(provider, known);
        diagnostics.push(
          error(
            file,
            `${key}.chain`,
            `unknown provider "${provider}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ''}; known: ${[...known].join(', ')}`,
          ),
        );
      } else {
        chain.push(provider);
      }
    }
    if (assignment.chain.length === 0) diagnostics.push(error(file, `${key}.chain`, 'a chain needs at least one provider'));
    wanted.push({ agent: agent as AgentId, chain, reasoning: assignment.reasoning ?? `Assigned by hand: ${chain.join(' → ')}.` });
  }
  if (diagnostics.some((diagnostic) => diagnostic.severity === 'error')) return fail(text, diagnostics);

  const before: unknown = blank ? {} : doc.toJS();
  const splices = blank ? undefined : planSplices(source, doc, lineCounter, wanted);
  let edited = splices === undefined ? undefined : applySplices(source, splices);
  if (edited === undefined || !isExactEdit(before, edited, wanted)) edited = editWithDocument(doc, wanted);

  const check = loadConfigText(file, edited);
  if (!check.ok) {
    // The edit itself is valid, so the file was invalid before: leave it untouched and say what to fix first.
    return fail(text, [...diagnostics, ...check.diagnostics]);
  }
  return { ok: true, text: edited, diagnostics: [...diagnostics, ...check.diagnostics] };
}

/** `model-router assign AGENT P1,P2 [--reasoning S]`. */
export function assignAgentInYaml(
  file: string,
  text: string | undefined,
  agent: AgentId,
  chain: readonly string[],
  reasoning?: string,
  options: YamlEditOptions = {},
): YamlEditResult {
  const assignment: AgentAssignment = reasoning !== undefined ? { chain, reasoning } : { chain };
  return assignAgentsInYaml(file, text, { [agent]: assignment }, options);
}

/**
 * `model-router bulk cost|performance|balanced`: every agent's chain and reasoning from the preset, computed on the
 * resolved `config` (so the preset sees the user's models, prices and custom providers).
 */
export function applyPresetInYaml(
  file: string,
  text: string | undefined,
  config: Config,
  preset: PresetName,
  options: YamlEditOptions & PresetOptions = {},
): YamlEditResult {
  const assignments = presetAssignments(config, preset, options);
  return assignAgentsInYaml(file, text, assignments, {
    knownProviders: options.knownProviders ?? Object.keys(config.providers),
  });
}

/**
 * "Model Router: Rebalance...": sets `providers.<id>.weight` for each given provider in the YAML text (creating the file
 * content when `text` is undefined or blank), through the yaml Document API (comments kept). A weight that is not a
 * finite number from 0 to 1000, an unknown provider, a syntax error or a file that does not validate stops the edit.
 */
export function setProviderWeightsInYaml(
  file: string,
  text: string | undefined,
  weights: Readonly<Record<string, number>>,
  options: YamlEditOptions = {},
): YamlEditResult {
  const blank = text === undefined || text.trim() === '';
  const doc = blank ? new Document({ version: 1 }) : parseDocument(text, { logLevel: 'error' });
  if (blank) doc.commentBefore = NEW_FILE_HEADER;
  else {
    if (doc.errors.length > 0) return fail(text, loadConfigText(file, text).diagnostics);
    if (doc.contents !== null && !isMap(doc.contents)) {
      return fail(text, [error(file, '', 'the file must be a mapping (key: value lines) to set weights in it')]);
    }
  }
  const known = new Set<string>(options.knownProviders ?? [...BUILTIN_PROVIDER_IDS, ...declaredProviders(doc)]);
  const diagnostics: ConfigDiagnostic[] = [];
  for (const [provider, weight] of Object.entries(weights)) {
    const key = `providers.${provider}.weight`;
    if (!known.has(provider)) {
      const guess = didYouMean(provider, known);
      diagnostics.push(error(file, key, `unknown provider "${provider}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ''}; known: ${[...known].join(', ')}`));
    } else if (!Number.isFinite(weight) || weight < 0 || weight > 1000) {
      diagnostics.push(error(file, key, `the weight must be a number from 0 to 1000, not ${String(weight)}`));
    }
  }
  if (diagnostics.length > 0) return fail(text, diagnostics);
  for (const [provider, weight] of Object.entries(weights)) {
    for (const path of [['providers'], ['providers', provider]]) {
      if (!isMap(doc.getIn(path, true))) doc.setIn(path, doc.createNode({}));
    }
    doc.setIn(['providers', provider, 'weight'], weight);
  }
  const edited = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  const check = loadConfigText(file, edited);
  if (!check.ok) return fail(text, check.diagnostics);
  return { ok: true, text: edited, diagnostics: check.diagnostics };
}
