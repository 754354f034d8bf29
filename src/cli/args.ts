/**
 * Command-line parsing on node:util parseArgs: global options (before or after the command), the command word, and
 * each command's own options, with clear usage errors (exit 2) for anything unknown or missing.
 */
import { parseArgs } from 'node:util';

import { didYouMean } from '../core/config/diagnostics';
import { errorMessage } from '../core/util/errorMessage';
import { usageError } from './exitCodes';

export type OptionSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean }>>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  'workspace-config': { type: 'string' },
  'trust-workspace': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies OptionSpec;

export interface GlobalOptions {
  readonly config?: string;
  readonly dataDir?: string;
  readonly workspaceConfig?: string;
  readonly trustWorkspace: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

export interface SplitArgs {
  /** The command word, or undefined when there is none. */
  readonly command: string | undefined;
  /** Every other argument, global options included, in order. */
  readonly rest: readonly string[];
}

const GLOBAL_VALUE_FLAGS = new Set(['--config', '--data-dir', '--workspace-config']);
const GLOBAL_FLAGS = new Set(['--trust-workspace', '--help', '-h', '--version']);

/** Finds the command word: the first argument that is neither a global option nor its value. */
export function splitCommand(argv: readonly string[]): SplitArgs {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (GLOBAL_VALUE_FLAGS.has(name)) {
      if (!arg.includes('=')) i++;
    } else if (!GLOBAL_FLAGS.has(name)) {
      throw usageError(`${name} before the command: only global options (--config, --data-dir, --workspace-config, --trust-workspace, --help, --version) may come first; put command options after the command.`);
    }
  }
  return { command: undefined, rest: [...argv] };
}

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: readonly string[];
  readonly globals: GlobalOptions;
}

function optionNames(spec: OptionSpec): string[] {
  return Object.entries(spec).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
}

/** Rewords parseArgs' errors: what was wrong, what to do. */
function explain(error: unknown, spec: OptionSpec, command: string | undefined): Error {
  const code = (error as { code?: string }).code;
  const message = errorMessage(error);
  const option = /option '([^']+)'/i.exec(message)?.[1]?.split(' ')[0];
  const where = command ? ` for \`${command}\`` : '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== undefined) {
    const guess = didYouMean(option.replace(/^-+/, ''), Object.keys(spec));
    const own = Object.fromEntries(Object.entries(spec).filter(([name]) => !(name in GLOBAL_OPTIONS)));
    const known = optionNames(own);
    const list = known.length > 0 ? `Options: ${known.join(', ')}, plus the global options.` : 'Only the global options apply.';
    return usageError(`unknown option ${option}${where}${guess ? ` (did you mean --${guess}?)` : ''}. ${list}`, command);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    const name = option.replace(/^-+/, '');
    if ((spec[name] ?? Object.values(spec).find((o) => `-${o.short}` === option))?.type === 'boolean') {
      return usageError(`option ${option} takes no value.`, command);
    }
    if (/ambiguous/.test(message)) {
      return usageError(`option ${option} needs a value, and the next argument starts with "-"; write ${option}=VALUE to pass a value that starts with "-".`, command);
    }
    return usageError(`option ${option} needs a value.`, command);
  }
  return usageError(message.split('\n')[0] ?? message, command);
}

/** Parses `args` with the command's options plus the global ones (strict: anything unknown is a usage error). */
export function parseCommand<S extends OptionSpec>(
  args: readonly string[],
  spec: S,
  command: string | undefined,
): Parsed<{ [K in keyof S]?: S[K]['multiple'] extends true ? string[] : S[K]['type'] extends 'boolean' ? boolean : string }> {
  const options = { ...GLOBAL_OPTIONS, ...spec } as OptionSpec;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: options, allowPositionals: true, strict: true });
  } catch (error) {
    throw explain(error, options, command);
  }
  const v = parsed.values;
  const globals: GlobalOptions = {
    ...(typeof v.config === 'string' ? { config: v.config } : {}),
    ...(typeof v['data-dir'] === 'string' ? { dataDir: v['data-dir'] } : {}),
    ...(typeof v['workspace-config'] === 'string' ? { workspaceConfig: v['workspace-config'] } : {}),
    trustWorkspace: v['trust-workspace'] === true,
    help: v.help === true,
    version: v.version === true,
  };
  for (const name of ['config', 'data-dir', 'workspace-config']) {
    if (v[name] === '') throw usageError(`option --${name} needs a non-empty path.`, command);
  }
  return { values: v as never, positionals: parsed.positionals, globals };
}

/** A whole number in [min, max] from an option, or a usage error naming the option. */
export function integerOption(value: string | undefined, name: string, min: number, max: number, command: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw usageError(`--${name} needs a whole number from ${min} to ${max} (got "${value}").`, command);
  }
  return n;
}

/** One of `allowed`, or a usage error that lists them (and suggests the closest). */
export function oneOf<T extends string>(value: string, allowed: readonly T[], what: string, command: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const guess = didYouMean(value, allowed);
  throw usageError(`unknown ${what} "${value}"${guess ? ` (did you mean "${guess}"?)` : ''}. Valid ${what}s: ${allowed.join(', ')}.`, command);
}
