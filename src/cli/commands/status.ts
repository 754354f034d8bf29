/**
 * `model-router status`: per provider, whether it is enabled, which of its keys are set (never their values), and a
 * live connectivity test (in parallel, each with a timeout) with its latency and result.
 */
import type { ProviderConfig } from '../../core/config/types';
import type { ConnectionStatus } from '../../core/providers/connection';
import { testProviderConnection } from '../../core/providers/connection';
import { integerOption, parseCommand } from '../args';
import { loadConfiguration } from '../context';
import { describeKeyVariables, displayUrl, keyFromEnv, SDK_DEFAULT_BASE_URLS } from '../environment';
import type { ExitCode } from '../exitCodes';
import { EXIT } from '../exitCodes';
import { formatMs, formatTable } from '../format';
import type { CliIo, Output } from '../io';
import { createCliVerifier, verifierOptionsOf } from '../verifier';

export const STATUS_OPTIONS = {
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const DEFAULT_STATUS_TIMEOUT_MS = 5_000;

export interface KeyStatus {
  readonly id: string;
  /** The environment variables it is read from. */
  readonly variables: string;
  readonly set: boolean;
}

export type { ConnectionStatus };

export interface ProviderStatus {
  readonly id: string;
  readonly label: string;
  readonly enabled: boolean;
  readonly baseUrl: string;
  readonly requiresKey: boolean;
  readonly keys: readonly KeyStatus[];
  readonly test: ConnectionStatus;
}

function testProvider(provider: ProviderConfig, io: CliIo, timeoutMs: number): Promise<ConnectionStatus> {
  return testProviderConnection(provider, {
    keyValue: (keyId) => keyFromEnv(io.env, provider.id, keyId),
    keyHint: (keyId) => `set ${describeKeyVariables(provider.id, keyId)}`,
    timeoutMs,
    ...(io.signal ? { signal: io.signal } : {}),
  });
}

export async function runStatus({ io, out, err, args }: { io: CliIo; out: Output; err: Output; args: readonly string[] }): Promise<ExitCode> {
  const { values, globals } = parseCommand(args, STATUS_OPTIONS, 'status');
  const timeoutMs = integerOption(values.timeout, 'timeout', 100, 600_000, 'status') ?? DEFAULT_STATUS_TIMEOUT_MS;
  const { config } = await loadConfiguration(globals, io, err, { noteMissingUserFile: true });
  const providers = Object.values(config.providers);
  const statuses: ProviderStatus[] = await Promise.all(
    providers.map(async (provider) => ({
      id: provider.id,
      label: provider.label,
      enabled: provider.enabled,
      baseUrl: displayUrl(provider.baseUrl ?? SDK_DEFAULT_BASE_URLS[provider.id] ?? '(none)'),
      requiresKey: provider.requiresKey,
      keys: provider.requiresKey
        ? provider.keys.map((key) => ({
            id: key.id,
            variables: describeKeyVariables(provider.id, key.id),
            set: keyFromEnv(io.env, provider.id, key.id) !== undefined,
          }))
        : [],
      test: await testProvider(provider, io, timeoutMs),
    })),
  );
  if (io.signal?.aborted) return EXIT.interrupted;
  const usable = statuses.filter((status) => status.test.result === 'ok').length;
  // What checking answers would run here (verify, ask --verify): found once, as the extension shows it in its log.
  const verifier = await createCliVerifier(verifierOptionsOf(config.verify));
  const checks = {
    isolation: verifier.sandbox.isolation,
    python: verifier.runtimes.python?.command ?? null,
    node: verifier.runtimes.node?.command ?? null,
    allowed: config.verify.run,
  };
  if (values.json) {
    out.line(JSON.stringify({ providers: statuses, usable, checks }));
  } else {
    const rows: string[][] = [['PROVIDER', 'ENABLED', 'KEYS', 'TEST']];
    for (const status of statuses) {
      const keys =
        status.keys.length === 0
          ? status.requiresKey
            ? 'no key entries'
            : 'none needed'
          : status.keys.map((key) => `${key.id}: ${key.set ? 'set' : 'missing'} (${key.variables})`).join(', ');
      rows.push([status.id, status.enabled ? 'yes' : 'no', keys, describeTest(status.test)]);
    }
    for (const line of formatTable(rows)) out.line(line);
    out.line();
    out.line(
      usable > 0
        ? `${usable} of ${statuses.length} providers answered the connection test (timeout ${formatMs(timeoutMs)}).`
        : `No provider answered the connection test (timeout ${formatMs(timeoutMs)}): set a key (model-router --help lists the variables) or check the base URLs (model-router providers).`,
    );
    out.line(
      `Checking answers: ${checks.isolation.level === 'none' ? 'NOT isolated' : `isolated (${checks.isolation.method}, ${checks.isolation.level})`}: ` +
        `${checks.isolation.description}. Python: ${checks.python ?? 'not found (set verify.python)'}; Node.js: ${checks.node ?? 'not found'}; ` +
        `${checks.allowed ? 'checks may run (verify.run)' : 'checks run only with ask --verify (or verify: { run: true })'}.`,
    );
  }
  return usable > 0 ? EXIT.ok : EXIT.unavailable;
}

function describeTest(test: ConnectionStatus): string {
  const key = test.keyId && test.keyId !== 'default' ? ` with key ${test.keyId}` : '';
  switch (test.result) {
    case 'ok':
      return `ok in ${formatMs(test.latencyMs ?? 0)}${test.models ? ` (${test.models} model${test.models === 1 ? '' : 's'})` : ''}${key}`;
    case 'failed':
      return `FAILED after ${formatMs(test.latencyMs ?? 0)}${key}: ${test.message ?? test.errorKind ?? 'error'}`;
    case 'skipped':
      return `not tested: ${test.message ?? ''}`;
  }
}
