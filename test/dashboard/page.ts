/**
 * The dashboard page in headless Chromium without VS Code: a loopback HTTP server serves the HTML of
 * `dashboardHtml()` (same CSP, nonce and bundle as the panel) and `media/dist/`; an init script stands in for VS Code
 * (`acquireVsCodeApi`, the theme variables on <html>, the theme class on <body>); the real
 * {@link DashboardController} answers the page's messages from a ledger database, as the panel does.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Page } from 'playwright-core';
import type { Database } from 'sql.js';

import type { Browser } from '../../scripts/codeServer';
import { launchChromium, repoRoot } from '../../scripts/codeServer';
import type { Config } from '../../src/core/config/types';
import type { DashboardRecommendation } from '../../src/core/ledger/dashboard';
import {
  dashboardDecisions,
  dashboardExport,
  dashboardRecommendations,
  dashboardSnapshot,
  dashboardVerified,
} from '../../src/core/ledger/dashboard';
import { Emitter } from '../../src/core/util/emitter';
import type { DashboardChange, DashboardHost } from '../../src/vscode/dashboard/dashboardController';
import { DashboardController } from '../../src/vscode/dashboard/dashboardController';
import { createNonce, dashboardHtml } from '../../src/webview/dashboardHtml';
import type { HostMessage, WebviewMessage } from '../../src/webview/protocol';
import type { ThemeKind } from './themes';
import { THEMES } from './themes';

export const DIST = path.join(repoRoot, 'media', 'dist');
export const SCREENSHOTS = path.join(repoRoot, 'test-results', 'dashboard');

/** A DashboardHost over a database, as the extension's would be (minus dialogs: exports go to a folder). */
export class FixtureHost implements DashboardHost {
  readonly changes = new Emitter<DashboardChange>();
  readonly onDidChange = this.changes.event;
  readonly applied: DashboardRecommendation[] = [];
  readonly exported: { fileName: string; content: string }[] = [];

  constructor(
    private readonly db: Database,
    public config: Config,
    public now: number,
  ) {}

  async snapshot(rangeDays: 7 | 30 | 90): ReturnType<DashboardHost['snapshot']> {
    return dashboardSnapshot(this.db, this.config.budget, { now: this.now, rangeDays });
  }

  async decisions(before: { startedAt: number; id: string }): ReturnType<DashboardHost['decisions']> {
    return dashboardDecisions(this.db, 25, before);
  }

  async recommendations(rangeDays: 7 | 30 | 90): ReturnType<DashboardHost['recommendations']> {
    return dashboardRecommendations(this.db, this.config, { now: this.now, rangeDays });
  }

  async verified(rangeDays: 7 | 30 | 90): ReturnType<DashboardHost['verified']> {
    return dashboardVerified(this.db, this.config.budget, { now: this.now, rangeDays });
  }

  async exportCosts(format: 'csv' | 'json', rangeDays: 7 | 30 | 90): Promise<boolean> {
    this.exported.push(dashboardExport(this.db, this.config.budget, { now: this.now, rangeDays, format }));
    return true;
  }

  async applyRecommendation(recommendation: DashboardRecommendation): Promise<boolean> {
    this.applied.push(recommendation);
    return true;
  }
}

export interface DashboardPage {
  readonly page: Page;
  /** Every message the page sent, in order. */
  readonly fromPage: WebviewMessage[];
  /** Every message the host posted, in order. */
  readonly toPage: HostMessage[];
  /** CSP violations and page errors seen so far. */
  readonly problems: string[];
  /** performance.now() in Node when the page was asked to load, and when each `rendered` arrived. */
  readonly timeline: { readonly opened: number; readonly rendered: number[] };
  /** When the page drew each update, in ms since its navigation started (the page's clock; benchmarks). */
  paintTimes(): Promise<number[]>;
  readonly controller: DashboardController;
  setTheme(kind: ThemeKind): Promise<void>;
  /** Waits until the page reported drawing `count` updates in all. */
  rendered(count?: number): Promise<void>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

interface Server {
  readonly origin: string;
  readonly close: () => Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
};

async function serve(html: () => string): Promise<Server> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/favicon.ico') {
      response.writeHead(204);
      response.end();
      return;
    }
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html());
      return;
    }
    const file = path.normalize(path.join(DIST, decodeURIComponent(url.pathname.replace(/^\/media\/dist\//, ''))));
    if (!url.pathname.startsWith('/media/dist/') || !file.startsWith(DIST + path.sep) || !fs.existsSync(file)) {
      response.writeHead(404);
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
    response.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The stand-in for VS Code in the page (runs before the page's own script; the CSP does not apply to it). */
function initScript(arg: { vars: Record<string, string>; bodyClass: string; state: unknown }): void {
  const w = window as unknown as Record<string, unknown>;
  let state = arg.state;
  w['__cspViolations'] = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    (w['__cspViolations'] as string[]).push(`${event.violatedDirective} ${event.blockedURI}`);
  });
  // When the page drew each update, on the page's own clock (ms since navigation start): a busy Node host cannot
  // delay these stamps.
  w['__renderedAt'] = [];
  w['acquireVsCodeApi'] = () => ({
    postMessage: (message: unknown) => {
      if ((message as { type?: unknown }).type === 'rendered') (w['__renderedAt'] as number[]).push(performance.now());
      (w['__toHost'] as (m: unknown) => void)(JSON.parse(JSON.stringify(message)));
    },
    getState: () => state,
    setState: (next: unknown) => {
      state = next;
      w['__state'] = next;
    },
  });
  const apply = (): void => {
    for (const [name, value] of Object.entries(arg.vars)) document.documentElement.style.setProperty(name, value);
    document.body.className = arg.bodyClass;
  };
  if (document.body) apply();
  else document.addEventListener('DOMContentLoaded', apply, { once: true });
}

export interface OpenOptions {
  readonly host: FixtureHost;
  readonly theme?: ThemeKind;
  /** What `getState()` returns at load (a restored panel). */
  readonly state?: unknown;
  readonly viewport?: { width: number; height: number };
  /** Reuse a browser (for benchmarks); closed by the caller. */
  readonly browser?: Browser;
}

export async function openDashboardPage(options: OpenOptions): Promise<DashboardPage> {
  if (!fs.existsSync(path.join(DIST, 'dashboard.js')) || !fs.existsSync(path.join(DIST, 'dashboard.css'))) {
    throw new Error('media/dist/dashboard.js is missing: run `node esbuild.js` (npm run test:dashboard does).');
  }
  let origin = '';
  const server = await serve(() =>
    dashboardHtml({
      cspSource: origin,
      nonce: createNonce(),
      scriptUri: `${origin}/media/dist/dashboard.js`,
      styleUri: `${origin}/media/dist/dashboard.css`,
    }),
  );
  origin = server.origin;
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-router-dashboard-'));
  const ownsBrowser = !options.browser;
  const browser = options.browser ?? (await launchChromium(stateDir, options.viewport ?? { width: 1280, height: 900 }));
  const page = ownsBrowser ? browser.page : await browser.context.newPage();
  const fromPage: WebviewMessage[] = [];
  const toPage: HostMessage[] = [];
  const problems: string[] = [];
  const timeline = { opened: 0, rendered: [] as number[] };
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  const waiters: (() => void)[] = [];
  const controller = new DashboardController({
    host: options.host,
    log: { trace(): void {}, debug(): void {}, info(): void {}, warn(): void {}, error: (e) => problems.push(`host error: ${String(e)}`) },
    post: async (message) => {
      toPage.push(message);
      await page.evaluate((m) => window.postMessage(m, '*'), message as unknown as Record<string, unknown>);
      return true;
    },
    runCommand: () => undefined,
    debounceMs: 10,
  });
  await page.exposeFunction('__toHost', (message: unknown) => {
    fromPage.push(message as WebviewMessage);
    if ((message as { type?: unknown }).type === 'rendered') timeline.rendered.push(performance.now());
    controller.receive(message);
    for (const wake of waiters.splice(0)) wake();
  });
  const theme = THEMES[options.theme ?? 'light'];
  // tsx compiles the functions below with esbuild's keepNames, which calls a __name helper the page does not have.
  await page.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((target) => target);' });
  await page.addInitScript(initScript, { vars: { ...theme.vars }, bodyClass: theme.bodyClass, state: options.state ?? null });
  timeline.opened = performance.now();
  await page.goto(origin);

  const dashboard: DashboardPage = {
    page,
    fromPage,
    toPage,
    problems,
    timeline,
    controller,
    async setTheme(kind: ThemeKind): Promise<void> {
      const next = THEMES[kind];
      await page.evaluate(({ vars, bodyClass }) => {
        for (const name of Array.from(document.documentElement.style)) {
          if (name.startsWith('--vscode-')) document.documentElement.style.removeProperty(name);
        }
        for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
        document.body.className = bodyClass;
      }, { vars: { ...next.vars }, bodyClass: next.bodyClass });
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    },
    async rendered(count = 1): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (fromPage.filter((m) => m.type === 'rendered').length < count) {
        if (Date.now() > deadline) throw new Error(`the page drew ${fromPage.filter((m) => m.type === 'rendered').length} of ${count} updates in time; problems: ${problems.join('; ')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async paintTimes(): Promise<number[]> {
      return page.evaluate(() => (window as unknown as { __renderedAt: number[] }).__renderedAt);
    },
    async screenshot(name: string): Promise<string> {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close(): Promise<void> {
      controller.dispose();
      const violations = await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []).catch(() => []);
      problems.push(...violations.map((v) => `CSP violation: ${v}`));
      if (ownsBrowser) await browser.close();
      else await page.close();
      await server.close();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return dashboard;
}

/** CSP violations recorded in the page so far. */
export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
}
