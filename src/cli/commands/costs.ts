/**
 * `model-router costs [--since YYYY-MM-DD] [--by provider|agent|model|day] [--csv|--json] [--time-zone TZ]`: what the
 * request ledger recorded. `--csv` and `--json` print the ledger export as it is (one entry per request, or the
 * breakdown rows with --by); without them, a table for people: with --by, the breakdown; else today and this month
 * against the budgets, then the spend by provider.
 */
import type { Config } from '../../core/config/types';
import { costsReport, startOfDate } from '../../core/ledger/export';
import type { BreakdownDimension, BreakdownRow } from '../../core/ledger/queries';
import { breakdown, BREAKDOWN_DIMENSIONS } from '../../core/ledger/queries';
import type { PeriodUsage } from '../../core/ledger/spend';
import { budgetUsage } from '../../core/ledger/spend';
import type { LedgerStore } from '../../core/ledger/store';
import { PeriodCalendar } from '../../core/routing/budget';
import { errorMessage } from '../../core/util/errorMessage';
import { oneOf, parseCommand } from '../args';
import { loadConfiguration } from '../context';
import type { ExitCode } from '../exitCodes';
import { CliError, EXIT, usageError } from '../exitCodes';
import { formatTable, formatUsd } from '../format';
import type { CliIo, Output } from '../io';
import { describeLedgerError, openLedger } from '../ledger';

export const COSTS_OPTIONS = {
  since: { type: 'string' },
  by: { type: 'string' },
  csv: { type: 'boolean' },
  json: { type: 'boolean' },
  'time-zone': { type: 'string' },
} as const;

export interface CostsDeps {
  readonly io: CliIo;
  readonly out: Output;
  readonly err: Output;
  readonly args: readonly string[];
  /** Defaults to Date.now(). */
  readonly now?: () => number;
}

function tokens(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

function breakdownTable(rows: readonly BreakdownRow[], by: BreakdownDimension): string[] {
  const header = [by, 'requests', 'cost', 'input tokens', 'output tokens', 'answered'];
  const body = rows.map((r) => [r.key, String(r.requests), formatUsd(r.costUsd), tokens(r.inputTokens), tokens(r.outputTokens), percent(r.successRate)]);
  const requests = rows.reduce((sum, r) => sum + r.requests, 0);
  const costNano = rows.reduce((sum, r) => sum + r.costNano, 0);
  const input = rows.reduce((sum, r) => sum + r.inputTokens, 0);
  const output = rows.reduce((sum, r) => sum + r.outputTokens, 0);
  const total = ['total', String(requests), formatUsd(costNano / 1e9), tokens(input), tokens(output), ''];
  return formatTable([header, ...body, total]).map((line) => `  ${line}`);
}

function usageLine(usage: PeriodUsage): string {
  const label = usage.period === 'day' ? `today (${usage.periodKey})` : `this month (${usage.periodKey})`;
  const used = formatUsd(usage.usedUsd);
  if (usage.limitUsd === undefined) return `${label}: ${used} (no ${usage.period === 'day' ? 'daily' : 'monthly'} budget)`;
  const pct = usage.percent === undefined ? '' : Number.isFinite(usage.percent) ? ` (${Math.round(usage.percent)}%)` : ' (over)';
  return `${label}: ${used} of ${formatUsd(usage.limitUsd)} ${usage.period === 'day' ? 'daily' : 'monthly'} budget${pct}`;
}

function humanReport(store: LedgerStore, config: Config, opts: { by?: BreakdownDimension; from: number; now: number; timeZone?: string; sinceLabel: string }): string[] {
  const { by, from, now, timeZone, sinceLabel } = opts;
  const range = { from, to: now + 1 };
  const lines: string[] = [];
  if (by !== undefined) {
    const rows = store.read((db) => breakdown(db, by, range, timeZone));
    lines.push(`Costs by ${by} since ${sinceLabel}:`);
    if (rows.length === 0) lines.push('  no requests recorded in this period');
    else lines.push(...breakdownTable(rows, by));
    return lines;
  }
  const budget = timeZone !== undefined && config.budget.timeZone === undefined ? { ...config.budget, timeZone } : config.budget;
  const usage = store.read((db) => budgetUsage(db, budget, now));
  lines.push('Spend:');
  for (const period of usage) lines.push(`  ${usageLine(period)}`);
  lines.push(`  budget action when exceeded: ${config.budget.onExceed}`);
  lines.push('');
  const rows = store.read((db) => breakdown(db, 'provider', range, timeZone));
  lines.push(`By provider since ${sinceLabel}:`);
  if (rows.length === 0) lines.push('  no requests recorded in this period');
  else lines.push(...breakdownTable(rows, 'provider'));
  return lines;
}

export async function runCosts({ io, out, err, args, now = Date.now }: CostsDeps): Promise<ExitCode> {
  const { values, positionals, globals } = parseCommand(args, COSTS_OPTIONS, 'costs');
  if (positionals.length > 0) throw usageError(`costs takes no positional arguments (got: ${positionals.join(' ')}).`, 'costs');
  if (values.csv && values.json) throw usageError('--csv and --json: pick one.', 'costs');
  const by = values.by === undefined ? undefined : oneOf(values.by, BREAKDOWN_DIMENSIONS, 'breakdown', 'costs');
  const { config, paths } = await loadConfiguration(globals, io, err, { noteMissingUserFile: true });
  const timeZone = values['time-zone'] ?? config.budget.timeZone;
  let calendar: PeriodCalendar;
  try {
    calendar = new PeriodCalendar(timeZone);
  } catch (error) {
    throw usageError(`--time-zone: ${errorMessage(error)} (use an IANA name such as Europe/Paris or UTC).`, 'costs');
  }
  const at = now();
  let from: number;
  try {
    from = values.since === undefined ? calendar.interval('month', at).start : startOfDate(values.since, timeZone);
  } catch (error) {
    throw usageError(errorMessage(error), 'costs');
  }
  if (from > at) throw usageError(`--since ${values.since} is in the future.`, 'costs');
  const sinceLabel = values.since ?? `${calendar.key('month', at)}-01`;

  let store: LedgerStore;
  try {
    store = await openLedger({ dataDir: paths.dataDir, config, err });
  } catch (error) {
    throw new CliError(EXIT.failed, `cannot open the request ledger in ${paths.dataDir} (${describeLedgerError(error)}).`);
  }
  try {
    if (values.csv || values.json) {
      const text = store.read((db) =>
        costsReport(db, {
          ...(values.since !== undefined ? { since: values.since } : {}),
          ...(by !== undefined ? { by } : {}),
          format: values.csv ? 'csv' : 'json',
          ...(timeZone !== undefined ? { timeZone } : {}),
          now: at,
        }),
      );
      if (!out.write(text)) await out.drain();
    } else {
      const lines = humanReport(store, config, { ...(by !== undefined ? { by } : {}), from, now: at, ...(timeZone !== undefined ? { timeZone } : {}), sinceLabel });
      for (const line of lines) out.line(line);
      out.line();
      out.line(`Ledger: ${paths.dataDir}. Times in ${calendar.timeZone}. --csv or --json for every request.`);
    }
  } finally {
    await store.close();
  }
  return EXIT.ok;
}
