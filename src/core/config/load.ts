/**
 * Reads one configuration file: YAML text -> validated {@link ConfigFile}, or diagnostics that say file, line, column
 * and key. Also validates plain values (the settings layer) with the same rules.
 *
 * Order of checks: YAML syntax (a file that does not parse stops here); key values (a field such as `apiKey`, or any
 * string shaped like a key; these are reported without their value); the JSON Schema; then the checks a schema cannot
 * express within one file (tier order, time zone, duplicate key ids).
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

import type { ErrorObject } from 'ajv';
import type { Document } from 'yaml';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

import { BUILTIN_PROVIDERS, isBuiltinProviderId } from '../providers/registry';
import { BUILTIN_PROVIDER_IDS } from '../providers/types';
import { errorMessage } from '../util/errorMessage';
import type { ConfigFile } from './configFile';
import type { ConfigDiagnostic, ConfigPath } from './diagnostics';
import { describeName, describeValue, didYouMean, formatKeyPath, isOpaqueToken, looksLikeSecret } from './diagnostics';
import { schemaErrors } from './schema';

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Finds a path in the source: its node, or the nearest existing parent key when the node is missing. */
export type Locate = (path: ConfigPath, at?: 'value' | 'key') => SourcePosition | undefined;

/** A file that validated: its data and a way back to source positions (for diagnostics found later, in layering). */
export interface ConfigLayer {
  readonly file: string;
  readonly data: ConfigFile;
  readonly locate: Locate;
}

export type LoadResult =
  | { readonly ok: true; readonly layer: ConfigLayer; readonly diagnostics: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly ConfigDiagnostic[] };

// ---------------------------------------------------------------------------------------------------------------------
// Source positions
// ---------------------------------------------------------------------------------------------------------------------

function scalarKey(node: unknown): string | undefined {
  if (isScalar(node)) {
    return node.value === null ? '' : node.toString();
  }
  return undefined;
}

function makeLocate(doc: Document, lineCounter: LineCounter): Locate {
  // Each mapping's pairs by key, built on first use: a lookup per diagnostic stays O(depth), not O(keys).
  const indexes = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();
  const pairOf = (map: { items: readonly { key: unknown; value: unknown }[] }, key: string): { key: unknown; value: unknown } | undefined => {
    let index = indexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const item of map.items) {
        const name = scalarKey(item.key);
        if (name !== undefined && !index.has(name)) index.set(name, item);
      }
      indexes.set(map, index);
    }
    return index.get(key);
  };
  const position = (node: unknown): SourcePosition | undefined => {
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return (path, at = 'value') => {
    let node: unknown = doc.contents;
    let lastKey: unknown;
    for (const segment of path) {
      let next: unknown;
      let nextKey: unknown;
      if (isMap(node)) {
        const pair = pairOf(node, String(segment));
        if (pair !== undefined) {
          nextKey = pair.key;
          next = pair.value;
        }
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
        nextKey = next;
      }
      if (nextKey === undefined) {
        // Missing: the parent's key (or the document start for the top level).
        return position(lastKey) ?? position(node) ?? { line: 1, column: 1 };
      }
      lastKey = nextKey;
      node = next;
    }
    if (at === 'key') return position(lastKey) ?? { line: 1, column: 1 };
    return position(node) ?? position(lastKey) ?? { line: 1, column: 1 };
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Key values
// ---------------------------------------------------------------------------------------------------------------------

/** Field names that hold a secret in other tools' configs; normalised (lower case, no `-`, `_` or spaces). */
const SECRET_FIELDS = new Set([
  'apikey',
  'key',
  'token',
  'secret',
  'password',
  'accesstoken',
  'authtoken',
  'apitoken',
  'bearer',
  'bearertoken',
  'authorization',
  'clientsecret',
  'apisecret',
  'secretkey',
  'privatekey',
]);

function isSecretField(name: string): boolean {
  return SECRET_FIELDS.has(name.toLowerCase().replace(/[-_\s]/g, ''));
}

interface SecretFinding {
  readonly path: ConfigPath;
  /**
   * `field`: a secret-named field with a value; `shape`: a string shaped like a key in any field; `opaque`: a long
   * opaque token where a name or URL belongs (a key without a known prefix, pasted in the wrong place).
   */
  readonly kind: 'field' | 'shape' | 'opaque';
  /** For `opaque`: its length and what belongs there. */
  readonly length?: number;
  readonly expected?: string;
}

/** What belongs at a path where a pasted key would otherwise be quoted back (a URL, a key id, a provider id). */
function expectedName(path: ConfigPath): string | undefined {
  if (path[0] === 'providers' && path.length === 3 && path[2] === 'baseUrl') return 'URL';
  if (path[0] === 'providers' && path.length === 5 && path[2] === 'keys' && path[4] === 'id') return 'key id (a name such as work)';
  if (path[0] === 'agents' && path.length === 4 && path[2] === 'chain') return 'provider id';
  return undefined;
}

function findSecrets(value: unknown, path: ConfigPath, out: SecretFinding[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => findSecrets(item, [...path, index], out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, child] of Object.entries(value)) {
      const childPath = [...path, name];
      if (isSecretField(name) && child !== null && child !== undefined && child !== '' && typeof child !== 'object') {
        out.push({ path: childPath, kind: 'field' });
      } else if (looksLikeSecret(name)) {
        out.push({ path: childPath, kind: 'shape' });
      } else {
        findSecrets(child, childPath, out);
      }
    }
  } else if (typeof value === 'string' && looksLikeSecret(value)) {
    out.push({ path, kind: 'shape' });
  } else if (typeof value === 'string' && isOpaqueToken(value)) {
    const expected = expectedName(path);
    if (expected !== undefined) out.push({ path, kind: 'opaque', length: value.length, expected });
  }
}

function envHint(path: ConfigPath): string {
  const id = path[0] === 'providers' && typeof path[1] === 'string' ? path[1] : undefined;
  const env = id !== undefined && isBuiltinProviderId(id) ? BUILTIN_PROVIDERS[id].envVars : [];
  return env.length > 0 ? `an environment variable (${env.join(' or ')})` : 'an environment variable';
}

function secretMessage(finding: SecretFinding): string {
  const key = formatKeyPath(finding.path);
  const what =
    finding.kind === 'field'
      ? `${key} holds a value, but API keys must never be written in a configuration file`
      : finding.kind === 'opaque'
        ? `${key} is a ${finding.length}-character value that looks like an API key, not a ${finding.expected}; API keys must never be written in a configuration file`
        : `${key} looks like an API key, and API keys must never be written in a configuration file`;
  return (
    `${what} (the value is not used and not shown here). Store the key with "Model Router: Set API Key" ` +
    `(VS Code SecretStorage) or in ${envHint(finding.path)}, and name it here only by id, e.g. keys: [{ id: default }].`
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// Schema errors
// ---------------------------------------------------------------------------------------------------------------------

function decodePointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(segment);
      path.push(index);
      current = current[index];
    } else {
      path.push(segment);
      current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping (key: value entries)',
  array: 'a list',
  null: 'null',
};

function where(path: ConfigPath): string {
  return path.length === 0 ? 'the top level' : formatKeyPath(path);
}

function knownKeys(error: ErrorObject): string[] {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  return Object.keys(properties).filter((name) => !isSecretField(name) && name !== '$schema');
}

interface Mapped {
  readonly path: ConfigPath;
  readonly at: 'value' | 'key';
  readonly message: string;
}

function mapSchemaError(error: ErrorObject, data: unknown): Mapped | undefined {
  const path = decodePointer(error.instancePath, data);
  const key = formatKeyPath(path);
  const got = `(got ${describeValue(error.data)})`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = knownKeys(error);
      const suggestion = didYouMean(name, known);
      const tail = suggestion !== undefined ? `; did you mean "${suggestion}"?` : known.length > 0 ? ` (known keys: ${known.join(', ')})` : '';
      return { path: [...path, name], at: 'key', message: `unknown key ${describeName(name)} in ${where(path)}${tail}` };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const id = path[1];
      if (path.length === 2 && path[0] === 'providers' && missing === 'protocol' && typeof id === 'string') {
        const suggestion = didYouMean(id, BUILTIN_PROVIDER_IDS);
        const guess = suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : '';
        return {
          path,
          at: 'key',
          message:
            `${key} is not a built-in provider${guess}; a custom provider needs "protocol: openai-compatible" and a baseUrl ` +
            `(built in: ${BUILTIN_PROVIDER_IDS.join(', ')})`,
        };
      }
      return { path, at: 'key', message: `${where(path)} needs "${missing}"` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const list = allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`;
      return { path, at: 'value', message: `${key} must be ${list} ${got}` };
    }
    case 'const': {
      const allowed = String(params.allowedValue);
      const id = String(path[1]);
      if (path[0] === 'providers' && path[2] === 'protocol' && isBuiltinProviderId(id)) {
        return {
          path,
          at: 'value',
          message: `${key} is always "${allowed}" for the built-in provider ${id}; declare a custom provider under another id for another endpoint ${got}`,
        };
      }
      if (path[0] === 'providers' && path[2] === 'protocol') {
        return { path, at: 'value', message: `${key} must be "${allowed}": custom providers can only be OpenAI-compatible ${got}` };
      }
      return { path, at: 'value', message: `${key} must be ${JSON.stringify(params.allowedValue)} ${got}` };
    }
    case 'type': {
      const types = String(params.type)
        .split(',')
        .map((type) => TYPE_WORDS[type] ?? type);
      return { path, at: 'value', message: `${where(path)} must be ${types.join(' or ')} ${got}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[error.keyword];
      return { path, at: 'value', message: `${key} must be ${op} ${String(params.limit)} ${got}` };
    }
    case 'minItems':
      return { path, at: 'value', message: `${key} must list at least ${String(params.limit)} item(s)` };
    case 'minLength':
      if (error.propertyName !== undefined) {
        return { path: [...path, error.propertyName], at: 'key', message: `${where(path)} has an empty key` };
      }
      return { path, at: 'value', message: `${key} must not be empty` };
    case 'uniqueItems':
      return { path, at: 'value', message: `${key} lists the same value twice` };
    case 'pattern': {
      if (error.propertyName !== undefined) {
        return {
          path: [...path, error.propertyName],
          at: 'key',
          message: `${where(path)}: id ${describeName(error.propertyName)} must be lower case letters, digits, "-" or "_" (starting with a letter or digit, at most 64)`,
        };
      }
      const last = path[path.length - 1];
      if (last === 'baseUrl') {
        return { path, at: 'value', message: `${key} must be an http:// or https:// URL (got ${describeValue(error.data, 'that is not a URL')})` };
      }
      if (last === 'id') {
        return { path, at: 'value', message: `${key} must be letters, digits, ".", "-" or "_" (starting with a letter or digit, at most 64) ${got}` };
      }
      if (path[0] === 'agents') {
        return { path, at: 'value', message: `${key} must be a provider id (lower case letters, digits, "-" or "_") ${got}` };
      }
      return { path, at: 'value', message: `${key} must match ${String(params.pattern)} ${got}` };
    }
    case 'not':
      return { path, at: 'key', message: secretMessage({ path, kind: 'field' }) };
    case 'propertyNames':
    case 'allOf':
    case 'anyOf':
    case 'oneOf':
    case 'if':
      return undefined; // wrappers: the specific error is reported on its own
    default:
      return { path, at: 'value', message: `${where(path)} ${error.message ?? 'is invalid'}` };
  }
}

/** Whether `path` or one of its parents is in `paths` (key strings as {@link formatKeyPath} writes them). */
function underAny(path: ConfigPath, paths: ReadonlySet<string>): boolean {
  if (paths.size === 0) return false;
  for (let length = 0; length <= path.length; length++) {
    if (paths.has(formatKeyPath(path.slice(0, length)))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------------
// Checks across fields of one file
// ---------------------------------------------------------------------------------------------------------------------

interface Finding {
  readonly path: ConfigPath;
  readonly at: 'value' | 'key';
  readonly message: string;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function fileChecks(data: ConfigFile): Finding[] {
  const findings: Finding[] = [];
  const { light, medium } = data.tiers ?? {};
  if (light !== undefined && medium !== undefined && light >= medium) {
    findings.push({
      path: ['tiers', 'medium'],
      at: 'value',
      message: `tiers.light (${light}) must be below tiers.medium (${medium}): needs 1 <= light < medium <= 9`,
    });
  }
  const timeZone = data.budget?.timeZone;
  if (typeof timeZone === 'string' && !isValidTimeZone(timeZone)) {
    findings.push({
      path: ['budget', 'timeZone'],
      at: 'value',
      message: `budget.timeZone is not an IANA time zone (got ${describeValue(timeZone)}; e.g. Europe/Berlin, America/New_York, UTC)`,
    });
  }
  for (const [id, provider] of Object.entries(data.providers ?? {})) {
    const seen = new Set<string>();
    (provider.keys ?? []).forEach((entry, index) => {
      if (seen.has(entry.id)) {
        findings.push({
          path: ['providers', id, 'keys', index, 'id'],
          at: 'value',
          message: `providers.${id}.keys[${index}].id is listed twice (${describeValue(entry.id)}); key ids must be unique per provider`,
        });
      }
      seen.add(entry.id);
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------------------------------

function byPosition(a: ConfigDiagnostic, b: ConfigDiagnostic): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/**
 * Validates a plain value (parsed YAML or the settings object) against the schema and the file-level rules. Every
 * diagnostic is an error. `locate` maps paths to source positions (absent for settings).
 */
export function validateConfigValue(file: string, value: unknown, locate?: Locate): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  const seen = new Set<string>();
  const add = (finding: Finding): void => {
    const key = formatKeyPath(finding.path);
    const id = `${key}\u0000${finding.message}`;
    if (seen.has(id)) return;
    seen.add(id);
    const position = locate?.(finding.path, finding.at);
    diagnostics.push({ file, ...(position ?? {}), key, message: finding.message, severity: 'error' });
  };

  const secrets: SecretFinding[] = [];
  findSecrets(value, [], secrets);
  for (const secret of secrets) {
    add({ path: secret.path, at: secret.kind === 'field' ? 'key' : 'value', message: secretMessage(secret) });
  }

  const errors = schemaErrors(value);
  // Paths (as key strings) under which other errors are not reported: a secret, a bad key name. Sets, so that a file
  // with many of them is checked in linear time.
  const secretPaths = new Set(secrets.map((secret) => formatKeyPath(secret.path)));
  const badNames = new Set(
    errors
      .filter((error) => error.propertyName !== undefined)
      .map((error) => formatKeyPath([...decodePointer(error.instancePath, value), error.propertyName as string])),
  );
  for (const error of errors) {
    const mapped = mapSchemaError(error, value);
    if (mapped === undefined) continue;
    const isNameError = error.propertyName !== undefined;
    if (underAny(mapped.path, secretPaths)) continue;
    if (!isNameError && underAny(mapped.path, badNames)) continue;
    add(mapped);
  }
  if (errors.length === 0) {
    // A value already reported as a pasted key is not described again.
    fileChecks(value as ConfigFile)
      .filter((finding) => !underAny(finding.path, secretPaths))
      .forEach(add);
  }
  return diagnostics.sort(byPosition);
}

/**
 * The largest configuration file read, in bytes (UTF-8). A real one is a few kilobytes; the bound keeps a file from a
 * cloned repository (or a paste gone wrong) from stalling the extension host while it is parsed and validated.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** A configuration file as read: its text, and its size in bytes. */
export interface ConfigFileText {
  /** '' when the file is over {@link MAX_CONFIG_FILE_BYTES}: it is not read at all. */
  readonly text: string;
  readonly bytes: number;
}

/**
 * Reads a configuration file from disk, checking its size first: a file over {@link MAX_CONFIG_FILE_BYTES} is not
 * read (its size is returned, for the loader's error). Undefined when it does not exist; other errors are thrown.
 */
export async function readConfigFile(file: string): Promise<ConfigFileText | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_CONFIG_FILE_BYTES) return { text: '', bytes: size };
    const bytes = await handle.readFile();
    return { text: bytes.toString('utf8'), bytes: bytes.length };
  } finally {
    await handle.close();
  }
}

/** At most this many diagnostics per file; the rest are summed up in one last diagnostic. */
export const MAX_FILE_DIAGNOSTICS = 200;

/** The diagnostic for a file over {@link MAX_CONFIG_FILE_BYTES}, or undefined when it is within the bound. */
export function configFileSizeProblem(file: string, bytes: number): ConfigDiagnostic | undefined {
  if (bytes <= MAX_CONFIG_FILE_BYTES) return undefined;
  return {
    file,
    line: 1,
    column: 1,
    key: '',
    message:
      `the file is ${bytes.toLocaleString('en-US')} bytes; a configuration file may be at most ` +
      `${MAX_CONFIG_FILE_BYTES.toLocaleString('en-US')} bytes (1 MiB), so it is not read. A Model Router config is ` +
      `normally a few kilobytes: remove what is not configuration (a pasted log or price list, generated entries) ` +
      `until it is under the limit.`,
    severity: 'error',
  };
}

/**
 * Keys that occur twice in one mapping, in linear time (the yaml library's own `uniqueKeys` check compares every key
 * with every other one: 53 s for an 80,000-key mapping). Only scalar keys are compared, as the library does by default.
 */
function duplicateKeys(doc: Document, at: (offset: number) => SourcePosition, file: string): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  const stack: { node: unknown; path: ConfigPath }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        const name = scalarKey(item.key);
        if (name !== undefined) {
          const keyPath = [...path, name];
          if (seen.has(name)) {
            const offset = isNode(item.key) ? item.key.range?.[0] : undefined;
            out.push({
              file,
              ...(offset !== undefined ? at(offset) : { line: 1, column: 1 }),
              key: formatKeyPath(keyPath),
              message: `${formatKeyPath(keyPath)} is set twice in the same mapping; map keys must be unique (keep one)`,
              severity: 'error',
            });
          }
          seen.add(name);
          stack.push({ node: item.value, path: keyPath });
        } else {
          stack.push({ node: item.value, path });
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => stack.push({ node: item, path: [...path, index] }));
    }
  }
  return out;
}

/** `diagnostics` cut to {@link MAX_FILE_DIAGNOSTICS}, with one more that says how many were left out. */
function capped(file: string, diagnostics: ConfigDiagnostic[]): ConfigDiagnostic[] {
  if (diagnostics.length <= MAX_FILE_DIAGNOSTICS) return diagnostics;
  const kept = diagnostics.slice(0, MAX_FILE_DIAGNOSTICS);
  const more = diagnostics.length - kept.length;
  const severity = diagnostics.slice(MAX_FILE_DIAGNOSTICS).some((d) => d.severity === 'error') ? 'error' : 'warning';
  kept.push({ file, key: '', message: `and ${more.toLocaleString('en-US')} more problems like the ones above in this file`, severity });
  return kept;
}

/**
 * Parses and validates one configuration file. An empty file (or one with only comments) is a valid, empty layer.
 * YAML warnings come back as `warning` diagnostics on a valid result. A file over {@link MAX_CONFIG_FILE_BYTES} is not
 * parsed (one error says its size and the limit); the work is linear in the file's size, and at most
 * {@link MAX_FILE_DIAGNOSTICS} diagnostics (plus one summing up the rest) come back.
 */
export function loadConfigText(file: string, text: string, bytes?: number): LoadResult {
  const result = loadBoundedText(file, text, bytes);
  return result.diagnostics.length <= MAX_FILE_DIAGNOSTICS ? result : { ...result, diagnostics: capped(file, [...result.diagnostics]) };
}

function loadBoundedText(file: string, text: string, bytes: number | undefined): LoadResult {
  // `bytes`: the file's size, known before reading it (a file over the bound is not read). Otherwise counted: UTF-8 is
  // at most 3 bytes per UTF-16 unit, so the exact count is only needed near the bound.
  const size = bytes ?? (text.length * 3 > MAX_CONFIG_FILE_BYTES ? Buffer.byteLength(text, 'utf8') : 0);
  const tooLarge = configFileSizeProblem(file, size);
  if (tooLarge !== undefined) return { ok: false, diagnostics: [tooLarge] };
  const lineCounter = new LineCounter();
  // logLevel error: the library's own warnings (printed to stderr) could quote the file's text.
  // uniqueKeys false: the library's duplicate check is quadratic; duplicateKeys() below does it in linear time.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      diagnostics: doc.errors.map((error) => ({
        file,
        ...at(error.pos[0]),
        key: '',
        message: `YAML syntax error: ${error.message}`,
        severity: 'error' as const,
      })),
    };
  }
  const duplicates = duplicateKeys(doc, at, file);
  if (duplicates.length > 0) return { ok: false, diagnostics: duplicates.sort(byPosition) };
  const warnings: ConfigDiagnostic[] = doc.warnings.map((warning) => ({
    file,
    ...at(warning.pos[0]),
    key: '',
    message: `YAML: ${warning.message}`,
    severity: 'warning' as const,
  }));
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    const message = errorMessage(error);
    return { ok: false, diagnostics: [{ file, line: 1, column: 1, key: '', message: `YAML: ${message}`, severity: 'error' }] };
  }
  const locate = makeLocate(doc, lineCounter);
  const errors = validateConfigValue(file, value, locate);
  if (errors.length > 0) {
    return { ok: false, diagnostics: [...errors, ...warnings].sort(byPosition) };
  }
  return { ok: true, layer: { file, data: value as ConfigFile, locate }, diagnostics: warnings };
}
