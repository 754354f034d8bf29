/**
 * `model-router assign AGENT P1[,P2,...]` and `model-router bulk cost|performance|balanced`: edit the user YAML (the
 * `--config` file) through yamlEdit, which keeps comments and formatting, creating the file and its directory when
 * missing. The file is written only when the edited text validates; the output says what changed.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { formatDiagnostic } from '../../core/config/diagnostics';
import { resolveConfig } from '../../core/config/layering';
import type { AgentId, Config } from '../../core/config/types';
import { AGENT_IDS, PRESETS } from '../../core/config/types';
import type { YamlEditResult } from '../../core/config/yamlEdit';
import { applyPresetInYaml, assignAgentInYaml } from '../../core/config/yamlEdit';
import { errorMessage } from '../../core/util/errorMessage';
import type { GlobalOptions } from '../args';
import { oneOf, parseCommand } from '../args';
import type { LoadedConfig } from '../context';
import { loadConfiguration } from '../context';
import type { ExitCode } from '../exitCodes';
import { CliError, EXIT, usageError } from '../exitCodes';
import { formatChain } from '../format';
import type { CliIo, Output } from '../io';

export const ASSIGN_OPTIONS = { reasoning: { type: 'string' } } as const;
export const BULK_OPTIONS = {} as const;

interface EditDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  readonly args: readonly string[];
}

/** Writes through a temporary file and a rename, so a crash never leaves half a config; keeps the file's mode. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  let mode = 0o600;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch {
    // a new file: readable by its owner only, like other per-user config with provider settings
  }
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, text, { encoding: 'utf8', mode });
  await rename(temporary, file);
}

/** Prints the edit's diagnostics; throws exit 3 when it did not apply (the file has errors to fix first). */
function checkEdit(result: YamlEditResult, err: Output): void {
  for (const diagnostic of result.diagnostics) err.line(formatDiagnostic(diagnostic));
  if (!result.ok) {
    throw new CliError(EXIT.config, 'the user config was not changed: fix the errors above first (`model-router config validate`).');
  }
}

async function save(loaded: LoadedConfig, result: YamlEditResult, out: Output): Promise<boolean> {
  const file = loaded.paths.userConfig;
  if (loaded.userText !== undefined && result.text === loaded.userText) {
    out.line(`${file}: nothing to change.`);
    return false;
  }
  try {
    await writeAtomically(file, result.text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(EXIT.failed, `cannot write ${file}: ${code ?? errorMessage(error)}.`);
  }
  out.line(`${loaded.userText === undefined ? 'created' : 'updated'} ${file}`);
  return true;
}

/** After a write: which agents do not end up with the chain written (a trusted workspace file overrides them). */
async function checkEffective(globals: GlobalOptions, io: CliIo, err: Output, wanted: Readonly<Partial<Record<AgentId, readonly string[]>>>): Promise<void> {
  const { config } = await loadConfiguration(globals, io, err, { quiet: true });
  for (const [agent, chain] of Object.entries(wanted) as [AgentId, readonly string[]][]) {
    const effective = config.agents[agent].chain;
    if (effective.join(',') !== chain.join(',')) {
      err.line(`model-router: note: ${agent} runs ${formatChain(effective)}: the workspace config sets its chain, which wins over the user config.`);
    }
  }
}

function dedupe(chain: readonly string[]): string[] {
  return chain.filter((id, index) => chain.indexOf(id) === index);
}

export async function runAssign({ io, out, err, args }: EditDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, ASSIGN_OPTIONS, 'assign');
  if (positionals.length < 2) {
    throw usageError(`assign needs an agent and its providers, e.g. \`model-router assign reviewer anthropic,openai\`. Agents: ${AGENT_IDS.join(', ')}.`, 'assign');
  }
  const agent = oneOf(positionals[0]!, AGENT_IDS, 'agent', 'assign');
  const chain = positionals
    .slice(1)
    .flatMap((part) => part.split(','))
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (chain.length === 0) throw usageError('assign needs at least one provider id.', 'assign');
  if (values.reasoning !== undefined && values.reasoning.trim() === '') throw usageError('--reasoning needs some text.', 'assign');
  const loaded = await loadConfiguration(globals, io, err);
  const known = Object.keys(loaded.fileConfig.providers);
  for (const id of chain) oneOf(id, known, 'provider', 'assign');
  const before = loaded.fileConfig.agents[agent];
  const result = assignAgentInYaml(loaded.paths.userConfig, loaded.userText, agent, chain, values.reasoning, { knownProviders: known });
  checkEdit(result, err);
  const after = dedupe(chain);
  out.line(`${agent}: ${formatChain(before.chain)}  =>  ${formatChain(after)}`);
  out.line(`  reasoning: ${values.reasoning ?? `Assigned by hand: ${after.join(' → ')}.`}`);
  if (await save(loaded, result, out)) await checkEffective(globals, io, err, { [agent]: after });
  return EXIT.ok;
}

export async function runBulk({ io, out, err, args }: EditDeps): Promise<ExitCode> {
  const { positionals, globals } = parseCommand(args, BULK_OPTIONS, 'bulk');
  if (positionals.length !== 1) throw usageError(`bulk needs one preset: ${PRESETS.join(', ')}.`, 'bulk');
  const preset = oneOf(positionals[0]!, PRESETS, 'preset', 'bulk');
  const loaded = await loadConfiguration(globals, io, err);
  const config: Config = loaded.fileConfig;
  const result = applyPresetInYaml(loaded.paths.userConfig, loaded.userText, config, preset, { knownProviders: Object.keys(config.providers) });
  checkEdit(result, err);
  const edited = chainsOf(loaded.paths.userConfig, result.text);
  const wanted: Partial<Record<AgentId, readonly string[]>> = {};
  out.line(`preset ${preset}:`);
  for (const agent of AGENT_IDS) {
    const from = config.agents[agent].chain;
    const to = edited[agent].chain;
    wanted[agent] = to;
    out.line(`  ${agent.padEnd(12)} ${from.join(',') === to.join(',') ? `${formatChain(to)} (unchanged)` : `${formatChain(from)}  =>  ${formatChain(to)}`}`);
  }
  if (await save(loaded, result, out)) await checkEffective(globals, io, err, wanted);
  return EXIT.ok;
}

/** The chains the edited user text gives on its own (without writing it), for the "what changed" listing. */
function chainsOf(file: string, text: string): Config['agents'] {
  return resolveConfig({ user: { file, text }, workspaceTrusted: false }).config.agents;
}
