/**
 * The `model-router` command line: `main(argv, io)` runs one command and resolves to its exit code. It never calls
 * process.exit and reads nothing from `process` (src/cli.ts wires the real process in), so tests run it in-process.
 */
import packageJson from '../../package.json';
import { didYouMean } from '../core/config/diagnostics';
import { errorMessage } from '../core/util/errorMessage';
import { parseCommand, splitCommand } from './args';
import { runAsk } from './commands/ask';
import { runAssign, runBulk } from './commands/assign';
import { runClassify } from './commands/classify';
import { runCompare } from './commands/compare';
import { runConfig } from './commands/configValidate';
import { runCosts } from './commands/costs';
import { runAgents, runProviders } from './commands/providers';
import { runStatus } from './commands/status';
import { runVerify } from './commands/verify';
import type { ExitCode } from './exitCodes';
import { CliError, EXIT, usageError } from './exitCodes';
import { COMMAND_HELP, MAIN_HELP } from './help';
import type { CliIo } from './io';
import { Output, secretsOf } from './io';

interface CommandDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  readonly args: readonly string[];
  readonly argv: readonly string[];
}

const COMMANDS: Readonly<Record<string, (deps: CommandDeps) => Promise<ExitCode>>> = {
  classify: runClassify,
  ask: runAsk,
  compare: runCompare,
  costs: runCosts,
  status: runStatus,
  providers: runProviders,
  agents: runAgents,
  assign: runAssign,
  bulk: runBulk,
  config: runConfig,
  verify: runVerify,
};

export const VERSION: string = packageJson.version;

/** Whether the arguments ask for help (before any `--`). */
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

async function run(argv: readonly string[], io: CliIo, out: Output, err: Output): Promise<ExitCode> {
  const { command, rest } = splitCommand(argv);
  if (command === undefined) {
    const { globals, positionals } = parseCommand(rest, {}, undefined);
    if (globals.version) {
      out.line(`model-router ${VERSION}`);
      return EXIT.ok;
    }
    if (globals.help) {
      out.write(MAIN_HELP);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}" after --.`);
    err.write(MAIN_HELP);
    err.line();
    throw usageError('no command given.');
  }
  if (command === 'help') {
    const topic = rest.find((arg) => !arg.startsWith('-'));
    if (topic === undefined) {
      out.write(MAIN_HELP);
      return EXIT.ok;
    }
    const text = COMMAND_HELP[topic];
    if (text === undefined) throw usageError(`no help for "${topic}": not a command. Commands: ${Object.keys(COMMANDS).join(', ')}.`);
    out.write(text);
    return EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (handler === undefined) {
    const guess = didYouMean(command, Object.keys(COMMANDS));
    throw usageError(`unknown command "${command}"${guess ? ` (did you mean "${guess}"?)` : ''}. Commands: ${Object.keys(COMMANDS).join(', ')}.`);
  }
  if (wantsHelp(rest)) {
    out.write(COMMAND_HELP[command] ?? MAIN_HELP);
    return EXIT.ok;
  }
  if (rest.includes('--version')) {
    out.line(`model-router ${VERSION}`);
    return EXIT.ok;
  }
  return handler({ io, out, err, args: rest, argv });
}

/** Runs one command line (`argv` without the node and script paths) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const secrets = secretsOf(io.env);
  const out = new Output(io.stdout, secrets);
  const err = new Output(io.stderr, secrets);
  try {
    return await run(argv, io, out, err);
  } catch (error) {
    if (error instanceof CliError) {
      err.endLine();
      err.line(`model-router: ${error.message}`);
      return error.code;
    }
    err.endLine();
    const message = errorMessage(error);
    err.line(`model-router: internal error: ${message}`);
    if (io.env.MODEL_ROUTER_DEBUG && error instanceof Error && error.stack) err.line(error.stack);
    return EXIT.failed;
  } finally {
    out.flush();
    err.flush();
  }
}
