/**
 * The daily spend chart: Chart.js bars stacked by provider, coloured with the theme's chart colours
 * (`--vscode-charts-*`), redrawn when the theme changes. Only the parts of Chart.js it uses are registered, so the
 * bundle stays small. No animation: the first paint is the final picture.
 */
import type { ChartConfiguration } from 'chart.js';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

import type { DashboardSpend } from '../../src/core/ledger/dashboard';
import { formatUsd } from '../../src/core/util/format';
import { formatDayKey } from './format';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** Theme variable per known provider; others take the remaining colours in turn. */
const PROVIDER_COLORS: Readonly<Record<string, string>> = {
  anthropic: '--vscode-charts-orange',
  openai: '--vscode-charts-green',
  gemini: '--vscode-charts-blue',
  deepseek: '--vscode-charts-purple',
  local: '--vscode-charts-yellow',
  '(none)': '--vscode-charts-lines',
};
const OTHER_COLORS = ['--vscode-charts-red', '--vscode-charts-blue', '--vscode-charts-purple', '--vscode-charts-green', '--vscode-charts-orange'];
const FALLBACK: Readonly<Record<string, string>> = {
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#388a34',
  '--vscode-charts-blue': '#1a85ff',
  '--vscode-charts-purple': '#652d90',
  '--vscode-charts-yellow': '#bf8803',
  '--vscode-charts-red': '#e51400',
  '--vscode-charts-lines': '#80808080',
  '--vscode-charts-foreground': '#616161',
  '--vscode-foreground': '#616161',
  '--vscode-contrastBorder': '',
};

function cssVar(name: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || FALLBACK[name] || '#888888';
}

/** The colour variable of each provider, stable for a provider whatever else is in the chart. */
export function providerColorVar(provider: string, index: number): string {
  return PROVIDER_COLORS[provider] ?? OTHER_COLORS[index % OTHER_COLORS.length]!;
}

function configuration(spend: DashboardSpend): ChartConfiguration<'bar', number[], string> {
  const foreground = cssVar('--vscode-charts-foreground');
  const lines = cssVar('--vscode-charts-lines');
  const border = getComputedStyle(document.body).getPropertyValue('--vscode-contrastBorder').trim();
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const font = getComputedStyle(document.body).fontFamily;
  let other = 0;
  return {
    type: 'bar',
    data: {
      labels: spend.days.map(formatDayKey),
      datasets: spend.providers.map((provider, i) => {
        const color = cssVar(providerColorVar(provider, PROVIDER_COLORS[provider] ? 0 : other++));
        return {
          label: provider,
          data: [...spend.usdByProvider[i]!],
          backgroundColor: color,
          borderColor: highContrast && border ? border : color,
          borderWidth: highContrast ? 1 : 0,
          stack: 'spend',
          maxBarThickness: 28,
        };
      }),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      font: { family: font },
      scales: {
        x: {
          stacked: true,
          grid: { display: false },
          border: { color: lines },
          ticks: { color: foreground, maxRotation: 0, autoSkipPadding: 12, font: { family: font } },
        },
        y: {
          stacked: true,
          beginAtZero: true,
          grid: { color: lines },
          border: { display: false },
          ticks: { color: foreground, font: { family: font }, callback: (value) => formatUsd(Number(value)), maxTicksLimit: 6 },
        },
      },
      plugins: {
        legend: {
          position: 'bottom',
          labels: { color: foreground, boxWidth: 12, boxHeight: 12, font: { family: font } },
        },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label ?? ''}: ${formatUsd(Number(item.raw))}`,
            footer: (items) => `Total: ${formatUsd(spend.totalUsd[items[0]?.dataIndex ?? 0] ?? 0)}`,
          },
        },
      },
    },
  };
}

/** One chart on one canvas; {@link SpendChart.update} redraws with new data or the new theme. */
export class SpendChart {
  private chart: Chart<'bar', number[], string> | undefined;
  private spend: DashboardSpend | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  update(spend: DashboardSpend): void {
    this.spend = spend;
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, configuration(spend));
  }

  /** The theme changed: same data, new colours. */
  restyle(): void {
    if (this.spend) this.update(this.spend);
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}
