/** `model-router providers` and `model-router agents`: what the resolved configuration says, with no network. */
import { TIERS } from '../../core/config/types';
import { parseCommand } from '../args';
import { loadConfiguration } from '../context';
import type { BaseUrlSource } from '../environment';
import { describeKeyVariables, displayUrl, keyFromEnv, SDK_DEFAULT_BASE_URLS } from '../environment';
import type { ExitCode } from '../exitCodes';
import { EXIT, usageError } from '../exitCodes';
import { formatChain, wrap } from '../format';
import type { CliIo, Output } from '../io';

export const LIST_OPTIONS = { json: { type: 'boolean' } } as const;

interface ListDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  readonly args: readonly string[];
}

function baseUrlText(url: string | undefined, id: string, source: BaseUrlSource | undefined): string {
  const shown = displayUrl(url ?? SDK_DEFAULT_BASE_URLS[id] ?? '(none)');
  if (source === undefined || source === 'default') return `${shown} (${url === undefined ? 'SDK default' : 'built-in'})`;
  if (source === 'config') return `${shown} (from the config)`;
  return `${shown} (from ${source.variable})`;
}

export async function runProviders({ io, out, err, args }: ListDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, LIST_OPTIONS, 'providers');
  if (positionals.length > 0) throw usageError(`providers takes no arguments (got: ${positionals.join(' ')}).`, 'providers');
  const { config, baseUrlSources } = await loadConfiguration(globals, io, err, { noteMissingUserFile: true });
  const providers = Object.values(config.providers);
  if (values.json) {
    out.line(
      JSON.stringify(
        providers.map((p) => ({
          id: p.id,
          label: p.label,
          protocol: p.protocol,
          enabled: p.enabled,
          baseUrl: p.baseUrl === undefined ? null : displayUrl(p.baseUrl),
          baseUrlSource: baseUrlSources[p.id] ?? 'default',
          models: p.models,
          requiresKey: p.requiresKey,
          keys: p.keys.map((key) => ({
            id: key.id,
            variables: describeKeyVariables(p.id, key.id),
            set: keyFromEnv(io.env, p.id, key.id) !== undefined,
            ...(key.tiers ? { tiers: key.tiers } : {}),
            ...(key.priority !== undefined ? { priority: key.priority } : {}),
            ...(key.limits ? { limits: key.limits } : {}),
          })),
          free: p.free,
        })),
      ),
    );
    return EXIT.ok;
  }
  providers.forEach((p, index) => {
    if (index > 0) out.line();
    out.line(`${p.id} (${p.label}) · protocol ${p.protocol} · ${p.enabled ? 'enabled' : 'DISABLED'}${p.free ? ' · free' : ''}`);
    out.line(`  base URL  ${baseUrlText(p.baseUrl, p.id, baseUrlSources[p.id])}`);
    out.line(`  models    ${TIERS.map((tier) => `${tier}: ${p.models[tier] ?? '-'}`).join(' · ')}`);
    const keys = !p.requiresKey
      ? 'none needed'
      : p.keys.length === 0
        ? 'none (a workspace-only provider gets no key; declare it in the user config to give it one)'
        : p.keys
            .map((key) => {
              const limits = key.limits ? Object.entries(key.limits).map(([name, value]) => `${name} ${value}`) : [];
              const extra = [...(key.tiers?.length ? [`tiers ${key.tiers.join('/')}`] : []), ...limits];
              const set = keyFromEnv(io.env, p.id, key.id) !== undefined ? 'set' : 'missing';
              return `${key.id} (${describeKeyVariables(p.id, key.id)}: ${set})${extra.length ? ` [${extra.join(', ')}]` : ''}`;
            })
            .join(', ');
    out.line(`  keys      ${keys}`);
  });
  return EXIT.ok;
}

export async function runAgents({ io, out, err, args }: ListDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, LIST_OPTIONS, 'agents');
  if (positionals.length > 0) throw usageError(`agents takes no arguments (got: ${positionals.join(' ')}).`, 'agents');
  const { config } = await loadConfiguration(globals, io, err, { noteMissingUserFile: true });
  const agents = Object.values(config.agents);
  if (values.json) {
    out.line(JSON.stringify(agents.map((a) => ({ id: a.id, tasks: a.tasks, chain: a.chain, reasoning: a.reasoning }))));
    return EXIT.ok;
  }
  agents.forEach((agent, index) => {
    if (index > 0) out.line();
    out.line(`${agent.id} (task: ${agent.tasks.join(', ')})  ${formatChain(agent.chain)}`);
    for (const line of wrap(agent.reasoning, 100, '  ')) out.line(line);
  });
  out.line();
  out.line(`Chains are tried primary first (strategy: ${config.routing.strategy}${config.routing.localFirst ? '; light work goes to the local model first when it is healthy' : ''}).`);
  return EXIT.ok;
}
