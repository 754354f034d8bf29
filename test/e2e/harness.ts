/**
 * The e2e harness: one {@link E2ESession} is a code-server with this extension loaded from the work tree (payload
 * `extensionDevelopmentPath`, nothing installed), the SIMULATED providers of test/fakes on ephemeral ports (their
 * base URLs and placeholder keys are in the extension host's environment), and a fresh headless Chromium showing
 * the workbench. Its methods do what a person does (palette commands, notifications, the sidebar and its trees,
 * the Output panel) so that a test reads like the steps of a manual check, and {@link E2ESession.screenshot} saves
 * each step as test-results/e2e/<run>/NN-<step>.png.
 *
 * Selectors are the ones verified on VS Code 1.100.3 (web) in shared/E2E.md. Add helpers here, not in tests.
 *
 *   let vs: E2ESession;
 *   before(async () => { vs = await E2ESession.start(); });
 *   after(async () => { await vs?.stop(); });
 *   it('shows the log', async () => {
 *     await vs.runCommand('Model Router: Show Log');
 *     await vs.output.waitForLine(/Model Router activated/);
 *     await vs.screenshot('log shown');
 *   });
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { launchChromium, repoRoot, startCodeServer, type Browser, type CodeServer } from '../../scripts/codeServer';
import { startFakeProviders, type FakeProviders } from '../fakes/fakeProviders';

/** Default wait for one UI step; the first steps after a cold start take longer. */
export const STEP_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// The run: one folder of screenshots per mocha process
// ---------------------------------------------------------------------------------------------------------------

const RESULTS_ROOT = path.join(repoRoot, 'test-results', 'e2e');
/** Older run folders beyond this many are deleted when a run starts. */
const KEEP_RUNS = 10;

let runDirectory: string | undefined;
let screenshotCounter = 0;

/** test-results/e2e/<run>/, created on first use (MODEL_ROUTER_E2E_RUN names <run>; default: the start time). */
export function runDir(): string {
  if (!runDirectory) {
    const name = process.env['MODEL_ROUTER_E2E_RUN'] ?? new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
    runDirectory = path.join(RESULTS_ROOT, name);
    fs.mkdirSync(runDirectory, { recursive: true });
    pruneOldRuns();
  }
  return runDirectory;
}

function pruneOldRuns(): void {
  const runs = fs
    .readdirSync(RESULTS_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: entry.name, mtime: fs.statSync(path.join(RESULTS_ROOT, entry.name)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime);
  for (const old of runs.slice(0, Math.max(0, runs.length - KEEP_RUNS))) {
    fs.rmSync(path.join(RESULTS_ROOT, old.name), { recursive: true, force: true });
  }
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'step'
  );
}

/** The sessions still running, so the root hooks can take a screenshot on failure and stop leftovers. */
export const liveSessions = new Set<E2ESession>();

// ---------------------------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------------------------

export interface E2EOptions {
  /** Start the SIMULATED providers (default true). */
  fakes?: boolean;
  /** Files of the workspace folder that the workbench opens (relative path -> content). */
  workspaceFiles?: Record<string, string>;
  /** User settings merged over the harness's quiet defaults. */
  userSettings?: Record<string, unknown>;
  /** Extra environment for the extension host. */
  env?: Record<string, string>;
  /** Browser viewport (default 1400 x 900). */
  viewport?: { width: number; height: number };
}

export class E2ESession {
  /** The Output panel. */
  readonly output: OutputPanel;
  private stopped = false;

  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly fakes: FakeProviders | undefined,
  ) {
    this.output = new OutputPanel(this.page);
    liveSessions.add(this);
  }

  get page(): Page {
    return this.browser.page;
  }

  /** Starts the fakes, code-server and Chromium, and opens the workbench with the extension loaded. */
  static async start(options: E2EOptions = {}): Promise<E2ESession> {
    let fakes: FakeProviders | undefined;
    let server: CodeServer | undefined;
    let browser: Browser | undefined;
    let session: E2ESession | undefined;
    try {
      if (options.fakes ?? true) {
        fakes = await startFakeProviders();
      }
      server = await startCodeServer({
        env: { ...fakes?.env, ...options.env },
        ...(options.workspaceFiles ? { workspaceFiles: options.workspaceFiles } : {}),
        ...(options.userSettings ? { userSettings: options.userSettings } : {}),
      });
      browser = await launchChromium(server.stateDir, options.viewport);
      session = new E2ESession(server, browser, fakes);
      await session.openWorkbench();
      return session;
    } catch (error) {
      const tail = server?.logTail(30);
      if (session) {
        await session.screenshot('FAILED start').catch(() => undefined);
        await session.stop();
      } else {
        await browser?.close();
        await server?.stop();
        await fakes?.close();
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`the e2e session did not start: ${message}${tail ? `\n--- code-server (tail) ---\n${tail}` : ''}`);
    }
  }

  /** Loads the workbench and waits until it is up. */
  async openWorkbench(): Promise<void> {
    await this.page.goto(this.server.workbenchUrl(), { timeout: 60_000 });
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
    // The explorer shows the workspace once the remote connection works.
    await this.page.locator('.part.sidebar .pane-header').first().waitFor({ timeout: 60_000 });
    // The extension host process is up (the extension itself activates on its first command).
    await this.waitForExtensionHostEnv(60_000);
  }

  /** Saves a screenshot of the whole window as test-results/e2e/<run>/NN-<step>.png and returns its path. */
  async screenshot(step: string): Promise<string> {
    screenshotCounter += 1;
    const file = path.join(runDir(), `${String(screenshotCounter).padStart(2, '0')}-${slug(step)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The extension host's environment (waits for the extension host process to exist). */
  async waitForExtensionHostEnv(timeout = STEP_TIMEOUT_MS): Promise<Record<string, string>> {
    let env: Record<string, string> | undefined;
    await poll(
      async () => (env = this.server.extensionHostEnv()) !== undefined,
      timeout,
      () => 'no extension host process in code-server\'s session',
    );
    return env!;
  }

  // --- Command palette ------------------------------------------------------------------------------------------

  /** The quick input (palette) widget. */
  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /**
   * Opens the palette with F1, types the command's label (as shown, e.g. "Model Router: Show Log"), waits for its
   * row and runs it with Enter. The palette lists the commands known when it opens, and right after a cold start
   * the extension's contributions may not be registered yet: then it closes the palette and opens it again, as a
   * person would, until `timeout`.
   */
  async runCommand(label: string, options: { screenshot?: string; timeout?: number } = {}): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    const rows = this.quickInput.locator('.quick-input-list .monaco-list-row');
    const row = rows.filter({ hasText: label }).first();
    const deadline = Date.now() + (options.timeout ?? STEP_TIMEOUT_MS);
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        await input.fill(`>${label}`);
        await row.waitFor({ state: 'visible', timeout: Math.min(3_000 * attempt, 10_000) });
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          const shown = await rows.allInnerTexts().catch(() => []);
          throw new Error(
            `"${label}" is not in the command palette after ${attempt} tries (it lists: ${JSON.stringify(shown)})`,
            { cause: error },
          );
        }
        await this.page.keyboard.press('Escape');
        await this.page.waitForTimeout(500);
      }
    }
    // The row to run must be the first one (Enter runs the first), not merely one whose label contains the text.
    const firstLabel = ((await rows.first().getAttribute('aria-label')) ?? '').trim();
    if (!firstLabel.startsWith(label)) {
      throw new Error(`the palette's first row is "${firstLabel}", not "${label}"`);
    }
    if (options.screenshot) {
      await this.screenshot(options.screenshot);
    }
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
  }

  /** Closes the palette, a menu or a notification that has focus. */
  async pressEscape(): Promise<void> {
    await this.page.keyboard.press('Escape');
  }

  // --- Notifications --------------------------------------------------------------------------------------------

  /** Waits for a notification toast whose message matches, fully faded in (so a screenshot shows it). */
  async waitForNotification(text: string | RegExp, timeout = STEP_TIMEOUT_MS): Promise<Locator> {
    const toast = this.page
      .locator('.notifications-toasts .notification-toast.notification-fade-in-done')
      .filter({ has: this.page.locator('.notification-list-item-message', { hasText: text }) })
      .first();
    await toast.waitFor({ timeout });
    return toast;
  }

  /** Clicks a button of a notification (e.g. "Open Settings"). */
  async clickNotificationButton(toast: Locator, button: string): Promise<void> {
    await toast.locator('.monaco-button', { hasText: button }).first().click();
  }

  /** Closes every notification toast ("Notifications: Clear All Notifications"). */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  // --- Sidebar, trees, panels -----------------------------------------------------------------------------------

  /** Clicks a view container in the activity bar by its title (e.g. "Model Router") and waits for the sidebar. */
  async openViewContainer(title: string): Promise<Locator> {
    await this.page
      .locator(`.part.activitybar .action-item a.action-label[aria-label^="${cssString(title)}"]`)
      .first()
      .click();
    const sidebar = this.page.locator('.part.sidebar');
    await sidebar.waitFor({ timeout: STEP_TIMEOUT_MS });
    return sidebar;
  }

  /** The rows of the custom tree views in the sidebar. */
  treeRows(): Locator {
    return this.page.locator('.part.sidebar .customview-tree .monaco-list-row');
  }

  /** The tree row whose label is exactly `label` (the text in `.label-name`). */
  treeRow(label: string): Locator {
    return this.treeRows().filter({
      has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }),
    });
  }

  /** The labels of the visible tree rows, in order. */
  async treeLabels(): Promise<string[]> {
    return (await this.treeRows().locator('.label-name').allInnerTexts()).map((text) => text.trim());
  }

  /** The bottom panel (Problems, Output, Terminal, ...). */
  get panel(): Locator {
    return this.page.locator('.part.panel');
  }

  /** The content of the active webview panel (both iframes are served by code-server itself). */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  // --- Settings UI ----------------------------------------------------------------------------------------------

  /**
   * Opens the Settings UI (Ctrl+,), searches for `query` (e.g. a setting key) and waits for the results; returns
   * the editor. Rows: {@link settingRow}. Enum dropdowns and list editors: see shared/E2E.md for their selectors.
   */
  async openSettings(query: string): Promise<Locator> {
    await this.page.keyboard.press('Control+Comma');
    const editor = this.page.locator('.settings-editor');
    await editor.waitFor({ timeout: STEP_TIMEOUT_MS });
    const search = editor.locator('.settings-header .suggest-input-container .monaco-editor textarea');
    await search.focus();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.press('Backspace');
    await this.page.keyboard.type(query);
    // The search has run when the header counts its results ("1 Setting Found").
    await editor.locator('.settings-count-widget', { hasText: /Found/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    return editor;
  }

  /** The row of one setting in the Settings UI, by its key (e.g. "editor.fontSize"). */
  settingRow(key: string): Locator {
    return this.page.locator(`.settings-editor-tree .setting-item-contents[data-key="${cssString(key)}"]`);
  }

  // --- Teardown -------------------------------------------------------------------------------------------------

  /** Closes the browser (leaving the workbench first), stops code-server and the fakes, removes temp folders. */
  async stop(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    liveSessions.delete(this);
    try {
      await this.browser.close();
    } finally {
      try {
        await this.server.stop();
      } finally {
        await this.fakes?.close();
      }
    }
  }
}

/** The Output panel: which channel it shows and the text of that channel. */
export class OutputPanel {
  constructor(private readonly page: Page) {}

  get view(): Locator {
    return this.page.locator('.part.panel .pane-body.output-view');
  }

  /** True when the panel is open on the Output tab. */
  async isActive(): Promise<boolean> {
    return this.page
      .locator('.part.panel .composite-bar .action-item.checked a.action-label[aria-label^="Output"]')
      .isVisible();
  }

  /** The channel chosen in the panel's channel dropdown (e.g. "Model Router"). */
  async channel(): Promise<string> {
    const select = this.page.locator('.part.panel select.monaco-select-box').filter({ visible: true }).first();
    return select.evaluate((element) => {
      const box = element as HTMLSelectElement;
      return box.options[box.selectedIndex]?.text ?? '';
    });
  }

  /** The visible text of the channel (the editor renders only the lines in view). */
  async text(): Promise<string> {
    const lines = await this.view.locator('.monaco-editor .view-lines .view-line').allInnerTexts();
    return lines.map((line) => line.replace(/\u00a0/g, ' ')).join('\n');
  }

  /** Waits until the Output panel is open on `channel`. */
  async waitForChannel(channel: string, timeout = STEP_TIMEOUT_MS): Promise<void> {
    await poll(async () => (await this.isActive()) && (await this.channel()) === channel, timeout, async () => {
      const active = await this.isActive().catch(() => false);
      const shown = await this.channel().catch(() => '(none)');
      return `the Output panel is not showing "${channel}" (output tab active: ${active}, channel: "${shown}")`;
    });
  }

  /** Waits for a line matching `pattern` in the shown channel and returns it. */
  async waitForLine(pattern: RegExp, timeout = STEP_TIMEOUT_MS): Promise<string> {
    let found = '';
    await poll(
      async () => {
        found = (await this.text()).split('\n').find((line) => pattern.test(line)) ?? '';
        return found !== '';
      },
      timeout,
      async () => `no line matching ${pattern} in the Output panel; it shows:\n${await this.text().catch(() => '')}`,
    );
    return found;
  }
}

/** Polls `condition` every 200 ms until it is true; on timeout throws the message from `describe`. */
export async function poll(
  condition: () => Promise<boolean>,
  timeout: number,
  describe: () => Promise<string> | string,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      if (await condition()) {
        return;
      }
    } catch {
      // the element is not there yet
    }
    if (Date.now() > deadline) {
      throw new Error(await describe());
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function cssString(text: string): string {
  return text.replace(/["\\]/g, '\\$&');
}
