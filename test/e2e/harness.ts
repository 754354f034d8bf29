/**
 * The e2e harness: one {@link E2ESession} is a code-server with this extension loaded from the work tree (payload
 * `extensionDevelopmentPath`, nothing installed), the SIMULATED providers of test/fakes on ephemeral ports (their
 * base URLs and placeholder keys are in the extension host's environment), and a fresh headless Chromium showing
 * the workbench. Its methods do what a person does (palette commands, notifications, the sidebar and its trees,
 * the Output panel) so that a test reads like the steps of a manual check, and {@link E2ESession.screenshot} saves
 * each step as test-results/e2e/<run>/NN-<step>.png.
 *
 * Selectors are the ones verified on VS Code 1.100.3 (web) in shared/E2E.md, still working on 1.104.0 (the Output
 * panel hides its tabs when narrow: see OutputPanel.isActive). Add helpers here, not in tests.
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
import * as os from 'node:os';
import * as path from 'node:path';

import type { FrameLocator, Locator, Page } from 'playwright-core';

import manifest from '../../package.json';
import { type Browser, type CodeServer, launchChromium, repoRoot, startCodeServer } from '../../scripts/codeServer';
import { type FakeProviders, startFakeProviders } from '../fakes/fakeProviders';

/** This extension's global storage folder relative to code-server's user data dir (see {@link E2EOptions.userDataFiles}). */
export const GLOBAL_STORAGE_PATH = path.join('User', 'globalStorage', `${manifest.publisher}.${manifest.name}`.toLowerCase());

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
  /**
   * Files of code-server's user data dir written before it starts (path relative to that dir -> content), e.g. a
   * ledger journal in the extension's global storage ({@link GLOBAL_STORAGE_PATH}), so the extension finds it when
   * it opens the ledger.
   */
  userDataFiles?: Record<string, string>;
  /** Extra environment for the extension host. */
  env?: Record<string, string>;
  /** Browser viewport (default 1400 x 900). */
  viewport?: { width: number; height: number };
  /** Keep VS Code's workspace trust on: the folder opens behind the "Do you trust the authors" dialog. */
  workspaceTrust?: boolean;
}

export class E2ESession {
  /** The Output panel. */
  readonly output: OutputPanel;
  private stopped = false;

  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly fakes: FakeProviders | undefined,
    /** A state folder this session made (code-server removes only the ones it made itself). */
    private readonly ownedStateDir?: string,
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
    // Files in the user data dir need the state folder before code-server starts: the session makes it (and removes
    // it on stop) instead of startCodeServer.
    const stateDir = options.userDataFiles ? fs.mkdtempSync(path.join(os.tmpdir(), 'model-router-vscode-')) : undefined;
    try {
      if (stateDir) {
        for (const [file, content] of Object.entries(options.userDataFiles ?? {})) {
          const full = path.join(stateDir, 'user-data', file);
          fs.mkdirSync(path.dirname(full), { recursive: true });
          fs.writeFileSync(full, content);
        }
      }
      if (options.fakes ?? true) {
        fakes = await startFakeProviders();
      }
      server = await startCodeServer({
        env: { ...fakes?.env, ...options.env },
        ...(stateDir ? { stateDir } : {}),
        ...(options.workspaceFiles ? { workspaceFiles: options.workspaceFiles } : {}),
        ...(options.userSettings ? { userSettings: options.userSettings } : {}),
        ...(options.workspaceTrust ? { workspaceTrust: true } : {}),
      });
      browser = await launchChromium(server.stateDir, options.viewport);
      session = new E2ESession(server, browser, fakes, stateDir);
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
        if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`the e2e session did not start: ${message}${tail ? `\n--- code-server (tail) ---\n${tail}` : ''}`);
    }
  }

  /** Loads the workbench and waits until it is up. */
  async openWorkbench(): Promise<void> {
    // Functions passed to page.evaluate are compiled by tsx/esbuild, which wraps named inner functions in
    // `__name(...)` (keepNames); the page has no such helper unless it is given one.
    await this.page.addInitScript('globalThis.__name ??= (fn) => fn;');
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
    if (this.forbidden.length > 0) {
      // No OCR here: what a screenshot can show is the page's rendered text, so that is what is checked.
      const text = await this.visibleText();
      this.screenshotTextChecks += 1;
      for (const secret of this.forbidden) {
        if (text.includes(secret)) {
          throw new Error(`the screen at step "${step}" (${path.basename(file)}) shows a forbidden text (${redact(secret)})`);
        }
      }
    }
    return file;
  }

  // --- Secrets that must never be shown -------------------------------------------------------------------------

  private readonly forbidden: string[] = [];
  /** How many screenshots had their text checked against {@link forbidText}. */
  screenshotTextChecks = 0;

  /**
   * From now on every {@link screenshot} fails when the window's visible text (the page's and every frame's
   * innerText) contains `secret`, and a DOM observer records any text or attribute that ever contains it
   * ({@link forbiddenTextSightings}), between screenshots too.
   */
  async forbidText(secret: string): Promise<void> {
    this.forbidden.push(secret);
    await this.page.evaluate((needle) => {
      const w = window as unknown as { __mrForbidden?: { needles: string[]; hits: string[] } };
      if (!w.__mrForbidden) {
        const state = { needles: [] as string[], hits: [] as string[] };
        w.__mrForbidden = state;
        const check = (where: string, text: string | null | undefined): void => {
          if (!text) return;
          for (const n of state.needles) if (text.includes(n)) state.hits.push(where);
        };
        new MutationObserver((mutations) => {
          for (const m of mutations) {
            if (m.type === 'attributes') {
              check(`attribute ${m.attributeName} of <${(m.target as Element).tagName}>`, (m.target as Element).getAttribute(m.attributeName ?? ''));
            } else if (m.type === 'characterData') {
              check('text', m.target.textContent);
            } else {
              m.addedNodes.forEach((node) => {
                check(`added <${node.nodeName}>`, node.textContent);
                if (node instanceof Element) {
                  for (const el of [node, ...Array.from(node.querySelectorAll('*'))]) {
                    for (const attr of Array.from(el.attributes)) check(`attribute ${attr.name} of <${el.tagName}>`, attr.value);
                  }
                }
              });
            }
          }
        }).observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
      }
      w.__mrForbidden.needles.push(needle);
    }, secret);
  }

  /** Where the DOM observer of {@link forbidText} saw a forbidden text (empty: nowhere). */
  async forbiddenTextSightings(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __mrForbidden?: { hits: string[] } }).__mrForbidden?.hits ?? []);
  }

  /** The rendered text of the window: the page's innerText and every frame's (webviews), joined. */
  async visibleText(): Promise<string> {
    const texts: string[] = [];
    for (const frame of this.page.frames()) {
      try {
        texts.push(await frame.evaluate(() => document.body?.innerText ?? ''));
      } catch {
        // a frame that is navigating or gone
      }
    }
    return texts.join('\n');
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
   * person would, until `timeout` (and at least twice).
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
        // At least two tries: on a loaded machine one slow palette (its list not yet filtered) can use up the time.
        if (Date.now() > deadline && attempt >= 2) {
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
    // The palette closes; a command that asks something at once reuses the widget for its own quick pick or box.
    await poll(
      async () => !(await this.quickInput.isVisible()) || !(await input.inputValue()).startsWith('>'),
      STEP_TIMEOUT_MS,
      () => `the palette did not close after running "${label}"`,
    );
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

  /**
   * Starts recording the text of every notification message as it appears or changes (a progress notification's
   * message changes several times in a second; a screenshot catches one of them at best). Idempotent.
   */
  async recordNotifications(): Promise<void> {
    await this.page.evaluate(() => {
      const w = window as unknown as { __mrNotifications?: string[] };
      if (w.__mrNotifications) return;
      const seen: string[] = [];
      w.__mrNotifications = seen;
      // Each notification item's last recorded text: a text is recorded again when a later notification repeats it.
      const last = new WeakMap<Element, string>();
      const collect = (): void => {
        document.querySelectorAll('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item').forEach((item) => {
          const message = item.querySelector('.notification-list-item-message')?.textContent ?? '';
          const source = item.querySelector('.notification-list-item-source')?.textContent ?? '';
          const buttons = Array.from(item.querySelectorAll('.notification-list-item-buttons-container .monaco-button'))
            .map((b) => b.textContent ?? '')
            .filter((t) => t !== '');
          const text = [message, source, buttons.length > 0 ? `[${buttons.join('] [')}]` : ''].filter((t) => t !== '').join(' ');
          if (text !== '' && last.get(item) !== text) {
            last.set(item, text);
            seen.push(text);
          }
        });
      };
      new MutationObserver(collect).observe(document.body, { subtree: true, childList: true, characterData: true });
      collect();
    });
  }

  /**
   * Every notification text seen since {@link recordNotifications} ("message Source: … [Button] [Button]"), in order;
   * a progress notification adds one entry per message. `since`: skip that many entries (a mark taken earlier).
   */
  async notificationHistory(since = 0): Promise<string[]> {
    const all = await this.page.evaluate(() => [...((window as unknown as { __mrNotifications?: string[] }).__mrNotifications ?? [])]);
    return all.slice(since);
  }

  /** Waits until a notification text recorded after `since` entries matches `pattern` and returns it. */
  async waitForNotificationHistory(pattern: RegExp, timeout = STEP_TIMEOUT_MS, since = 0): Promise<string> {
    let found = '';
    await poll(
      async () => {
        found = (await this.notificationHistory(since)).find((text) => pattern.test(text)) ?? '';
        return found !== '';
      },
      timeout,
      async () => `no notification matching ${pattern}; seen: ${JSON.stringify(await this.notificationHistory(since))}`,
    );
    return found;
  }

  /** The messages of the notification toasts on screen now. */
  async notificationTexts(): Promise<string[]> {
    return (await this.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
  }

  // --- Quick picks and input boxes (what a command asks) --------------------------------------------------------

  /** The title of the open quick input ("Model Router: Set API Key"). */
  async quickInputTitle(timeout = STEP_TIMEOUT_MS): Promise<string> {
    const title = this.quickInput.locator('.quick-input-title');
    await this.quickInput.waitFor({ state: 'visible', timeout });
    return (await title.innerText()).trim();
  }

  /** The rows of the open quick pick: label, description and detail of each. */
  async quickPickItems(): Promise<{ label: string; description: string; detail: string }[]> {
    const rows = this.quickInput.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: STEP_TIMEOUT_MS });
    return rows.evaluateAll((elements) =>
      elements.map((row) => ({
        label: (row.querySelector('.quick-input-list-label .label-name, .monaco-icon-label .label-name')?.textContent ?? '').trim(),
        description: (row.querySelector('.label-description')?.textContent ?? '').trim(),
        detail: (row.querySelector('.quick-input-list-label-meta .label-name, .quick-input-list-detail')?.textContent ?? '').trim(),
      })),
    );
  }

  /** Clicks the quick pick row whose label is exactly `label`, once its title matches `title` (when given). */
  async pickQuickItem(label: string, options: { title?: string | RegExp; screenshot?: string } = {}): Promise<void> {
    if (options.title !== undefined) {
      await this.quickInput.locator('.quick-input-title', { hasText: options.title }).waitFor({ timeout: STEP_TIMEOUT_MS });
    }
    const row = this.quickInput
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
      .first();
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    if (options.screenshot) {
      await this.screenshot(options.screenshot);
    }
    await row.click();
  }

  /**
   * Types into the open input box (e.g. "Model Router: Set API Key"'s) and presses Enter. With `password`, first
   * checks that the box masks what is typed (input type "password").
   */
  async typeIntoInputBox(
    text: string,
    options: { title?: string | RegExp; password?: boolean; screenshot?: string } = {},
  ): Promise<void> {
    if (options.title !== undefined) {
      await this.quickInput.locator('.quick-input-title', { hasText: options.title }).waitFor({ timeout: STEP_TIMEOUT_MS });
    }
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    if (options.password !== undefined) {
      const type = await input.getAttribute('type');
      if ((type === 'password') !== options.password) {
        throw new Error(`the input box's type is "${type}"; expected ${options.password ? '' : 'not '}"password"`);
      }
    }
    await input.focus();
    await this.page.keyboard.type(text);
    if (options.screenshot) {
      await this.screenshot(options.screenshot);
    }
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
  }

  // --- Modal dialogs and the save dialog -------------------------------------------------------------------------

  /**
   * A modal message (`showInformationMessage(…, { modal: true }, …)`): in the web workbench a DOM dialog over the
   * window, not a native one.
   */
  get dialog(): Locator {
    return this.page.locator('.monaco-dialog-box');
  }

  /** Waits for a modal dialog; returns its message, detail (lines joined by "\n") and button labels in order. */
  async waitForDialog(timeout = STEP_TIMEOUT_MS): Promise<{ message: string; detail: string; buttons: string[] }> {
    await this.dialog.waitFor({ state: 'visible', timeout });
    return this.dialog.evaluate((box) => ({
      message: (box.querySelector('.dialog-message-text')?.textContent ?? '').trim(),
      detail: (box.querySelector<HTMLElement>('.dialog-message-detail')?.innerText ?? '').trim(),
      buttons: Array.from(box.querySelectorAll('.dialog-buttons .monaco-button')).map((b) => (b.textContent ?? '').trim()),
    }));
  }

  /** Clicks the button `label` of the open modal dialog and waits until the dialog is gone. */
  async clickDialogButton(label: string): Promise<void> {
    await this.dialog.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }).click();
    await this.dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
  }

  /**
   * Answers a save dialog (`showSaveDialog`). In code-server it is VS Code's simple file dialog, a quick input whose
   * box holds the offered path: this replaces it with `file` (absolute, in an existing folder) and presses Enter.
   * When the file exists the dialog asks again ("… already exists. Are you sure you want to overwrite it?"): OK when
   * `overwrite`, else Cancel (untried: what the dialog does next is the caller's to handle). Returns the path that was offered and the
   * overwrite question, if one was asked. `screenshots`: take one when the dialog opens and one of the question.
   */
  async answerSaveDialog(
    file: string,
    options: { title?: string | RegExp; overwrite?: boolean; screenshots?: string } = {},
  ): Promise<{ offered: string; overwriteQuestion: string | undefined }> {
    const title = this.quickInput.locator('.quick-input-title');
    const input = this.quickInput.locator('.quick-input-box input');
    await this.quickInput.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    if (options.title !== undefined) {
      await this.quickInput.locator('.quick-input-title', { hasText: options.title }).waitFor({ timeout: STEP_TIMEOUT_MS });
    }
    // The dialog fills in the offered path in steps (its folder first, then the file name, while it lists the
    // folder): the offer is the value once it has stayed the same for a while with the dialog idle.
    let offered = '';
    let since = Date.now();
    await poll(
      async () => {
        const value = await input.inputValue();
        // The progress bar under the box loses its `done` class while the dialog reads a folder.
        const busy = (await this.quickInput.locator('.quick-input-progress.done').count()) === 0;
        if (value !== offered || busy) {
          offered = value;
          since = Date.now();
          return false;
        }
        return offered !== '' && Date.now() - since >= 600;
      },
      STEP_TIMEOUT_MS,
      () => `the save dialog offers no settled path (it shows "${offered}")`,
    );
    if (options.screenshots) await this.screenshot(`${options.screenshots} (save dialog)`);
    await input.fill(file);
    await poll(async () => (await input.inputValue()) === file, STEP_TIMEOUT_MS, async () => `the save dialog's box holds "${await input.inputValue()}", not "${file}"`);
    await this.page.keyboard.press('Enter');
    let overwriteQuestion: string | undefined;
    await poll(
      async () => {
        if (!(await this.quickInput.isVisible())) return true;
        const text = (await title.innerText()).trim();
        if (overwriteQuestion === undefined && /already exists/.test(text)) {
          overwriteQuestion = text;
          if (options.screenshots) await this.screenshot(`${options.screenshots} (overwrite question)`);
          await this.quickInput.locator('.quick-input-action .monaco-button', { hasText: options.overwrite ? /^\s*OK\s*$/ : /^\s*Cancel\s*$/ }).click();
          return !options.overwrite;
        }
        return false;
      },
      STEP_TIMEOUT_MS,
      async () => `the save dialog did not close after Enter (it shows "${await title.innerText().catch(() => '')}")`,
    );
    return { offered, overwriteQuestion };
  }

  // --- Editors --------------------------------------------------------------------------------------------------

  /** Opens a workspace file with Quick Open (as "Go to File…": F1, the name without ">", Enter). */
  async openFile(relativePath: string): Promise<void> {
    const name = path.basename(relativePath);
    const input = this.quickInput.locator('.quick-input-box input');
    await this.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await input.fill(relativePath);
    await this.quickInput
      .locator('.quick-input-list .monaco-list-row', { has: this.page.locator('.label-name', { hasText: name }) })
      .first()
      .waitFor({ timeout: STEP_TIMEOUT_MS });
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
    await this.editorTab(name, { active: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await this.editorLines(name).first().waitFor({ timeout: STEP_TIMEOUT_MS });
  }

  /** An editor tab by its title (e.g. "math.ts", "Explain — math.ts.md"); `active`: only the active tab of a group. */
  editorTab(title: string | RegExp, options: { active?: boolean } = {}): Locator {
    return this.page.locator('.part.editor').locator(this.tabSelector(title, options.active));
  }

  private tabSelector(title: string | RegExp, active = false): Locator {
    const name = typeof title === 'string' ? new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) : title;
    return this.page.locator(`.tabs-container .tab${active ? '.active' : ''}`).filter({ has: this.page.locator('.label-name', { hasText: name }) });
  }

  /** The titles of every editor tab, in order. */
  async editorTabTitles(): Promise<string[]> {
    return (await this.page.locator('.part.editor .tabs-container .tab .label-name').allInnerTexts()).map((t) => t.trim());
  }

  /** The rendered lines of the editor group whose active tab is `title`. */
  editorLines(title: string | RegExp): Locator {
    return this.page
      .locator('.part.editor .editor-group-container')
      .filter({ has: this.tabSelector(title, true) })
      .locator('.editor-container .monaco-editor .view-lines .view-line');
  }

  /** The rendered text of the editor whose active tab is `title` (the lines in view, top to bottom). */
  async editorText(title: string | RegExp): Promise<string> {
    const lines = await this.editorLines(title).evaluateAll((elements) =>
      elements
        .map((el) => ({ top: parseFloat((el as HTMLElement).style.top || '0'), text: (el as HTMLElement).innerText }))
        .sort((a, b) => a.top - b.top)
        .map((line) => line.text),
    );
    return lines.map((line) => line.replace(/\u00a0/g, ' ')).join('\n');
  }

  /** Waits until the editor whose active tab is `title` shows text matching `pattern`; returns that text. */
  async waitForEditorText(title: string | RegExp, pattern: RegExp, timeout = STEP_TIMEOUT_MS): Promise<string> {
    let text = '';
    await poll(
      async () => pattern.test((text = await this.editorText(title))),
      timeout,
      async () => `the editor "${String(title)}" does not show ${pattern}; it shows:\n${text}\n(tabs: ${JSON.stringify(await this.editorTabTitles())})`,
    );
    return text;
  }

  /**
   * Selects whole lines `from`..`to` (1-based, inclusive) of the focused editor, as a person does with the keyboard:
   * Go to Line, then Shift+Down.
   */
  async selectLines(from: number, to: number): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    await this.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await input.fill(`:${from}`);
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
    await this.page.keyboard.press('Home');
    await this.page.keyboard.press('Home'); // the first Home stops at the indentation
    for (let line = from; line <= to; line++) {
      await this.page.keyboard.press('Shift+ArrowDown');
    }
    // The status bar shows the selection: "Ln 5, Col 1 (123 selected)".
    await this.page.locator('.part.statusbar', { hasText: /selected\)/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
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

  /**
   * Drags the sidebar's edge so that it is `width` pixels wide (tree descriptions such as "key set · healthy" are cut
   * off at the default width, and screenshots should show them).
   */
  async setSidebarWidth(width: number): Promise<void> {
    const sidebar = this.page.locator('.part.sidebar');
    const box = await sidebar.boundingBox();
    if (!box) throw new Error('the sidebar is not visible');
    const x = box.x + box.width;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
    await poll(
      async () => Math.abs(((await sidebar.boundingBox())?.width ?? 0) - width) < 24,
      STEP_TIMEOUT_MS,
      async () => `the sidebar is ${(await sidebar.boundingBox())?.width}px wide, not ${width}px`,
    );
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

  /** One view (pane) of the sidebar by its title, e.g. "Providers" or "Agents". */
  viewPane(title: string): Locator {
    return this.page
      .locator('.part.sidebar .pane')
      .filter({ has: this.page.locator('.pane-header .title', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`, 'i') }) });
  }

  /** The rows of the tree in the view `view`. */
  viewTreeRows(view: string): Locator {
    return this.viewPane(view).locator('.pane-body .customview-tree .monaco-list-row');
  }

  /** The items of the tree in `view` as shown: label, description (the grey text after it), depth, expanded. */
  async treeItems(view: string): Promise<TreeItemText[]> {
    return this.viewTreeRows(view).evaluateAll((rows) =>
      rows.map((row) => ({
        label: (row.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (row.querySelector('.label-description')?.textContent ?? '').trim(),
        level: Number(row.getAttribute('aria-level') ?? '1'),
        expanded: row.getAttribute('aria-expanded') === null ? undefined : row.getAttribute('aria-expanded') === 'true',
      })),
    );
  }

  /** Waits until the tree in `view` has an item with this label whose description matches; returns the item. */
  async waitForTreeItem(view: string, label: string | RegExp, description: RegExp = /.*/, timeout = STEP_TIMEOUT_MS): Promise<TreeItemText> {
    let found: TreeItemText | undefined;
    let items: TreeItemText[] = [];
    const labelMatches = (text: string): boolean => (typeof label === 'string' ? text === label : label.test(text));
    await poll(
      async () => {
        items = await this.treeItems(view);
        found = items.find((item) => labelMatches(item.label) && description.test(item.description));
        return found !== undefined;
      },
      timeout,
      () => `the ${view} view has no item "${String(label)}" described as ${description}; it shows: ${JSON.stringify(items)}`,
    );
    return found!;
  }

  /** Expands the collapsed tree item `label` in `view` (clicks its twistie) and waits until it is expanded. */
  async expandTreeItem(view: string, label: string): Promise<void> {
    const row = this.viewTreeRows(view)
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
      .first();
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    if ((await row.getAttribute('aria-expanded')) !== 'true') {
      await row.locator('.monaco-tl-twistie').click();
    }
    await poll(async () => (await row.getAttribute('aria-expanded')) === 'true', STEP_TIMEOUT_MS, () => `"${label}" in ${view} did not expand`);
  }

  /** Runs `action` from the context menu (right click) of the tree item `label` in `view`, e.g. "Open in Settings". */
  async treeItemContextAction(view: string, label: string, action: string): Promise<void> {
    const row = this.viewTreeRows(view)
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
      .first();
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    await row.click({ button: 'right' });
    const item = this.page.locator('.context-view .action-item .action-label', { hasText: new RegExp(`^\\s*${escapeRegExp(action)}\\s*$`) });
    await item.first().waitFor({ timeout: STEP_TIMEOUT_MS });
    // The menu runs an item on Enter once it is highlighted (a synthetic click does not always reach it).
    await item.first().hover();
    await this.page.keyboard.press('Enter');
    await item.first().waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
  }

  /** Opens the view `view` when its pane is collapsed. */
  async expandViewPane(view: string): Promise<void> {
    const header = this.viewPane(view).locator('.pane-header');
    await header.waitFor({ timeout: STEP_TIMEOUT_MS });
    if ((await header.getAttribute('aria-expanded')) === 'false') {
      await header.click();
    }
  }

  /** The welcome content of `view` (shown instead of the tree when its `when` clause holds and the tree is empty). */
  welcomeView(view: string): Locator {
    return this.viewPane(view).locator('.pane-body .welcome-view-content');
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

  /** The Settings UI once its search (here passed by a command such as "Open in Settings") has counted its results. */
  async settingsResults(): Promise<Locator> {
    const editor = this.page.locator('.settings-editor');
    await editor.locator('.settings-count-widget', { hasText: /Found/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    return editor;
  }

  /** The row of one setting in the Settings UI, by its key (e.g. "editor.fontSize"). */
  settingRow(key: string): Locator {
    return this.page.locator(`.settings-editor-tree .setting-item-contents[data-key="${cssString(key)}"]`);
  }

  /** The values of a list setting as the Settings UI shows them (an enum array shows one row per item). */
  async settingListValues(key: string): Promise<string[]> {
    const values = this.settingRow(key).locator('.setting-list-widget .setting-list-row .setting-list-value');
    return (await values.allInnerTexts()).map((text) => text.trim());
  }

  /**
   * Edits item `index` of a list setting in the Settings UI: hover the row, "Edit Item", open the dropdown, click
   * `value`, OK. Returns the values the dropdown offered. Waits until the list shows the new value (the widget shows
   * the old one for about 2 s); an edit lost under load (nothing written to the user settings) is made again.
   */
  async editSettingListItem(key: string, index: number, value: string, options: { screenshot?: string } = {}): Promise<string[]> {
    const setting = this.settingRow(key);
    const row = setting.locator(`.setting-list-widget .setting-list-row[data-index="${index}"]`);
    await row.waitFor({ timeout: STEP_TIMEOUT_MS });
    const editRow = setting.locator('.setting-list-edit-row');
    const dropdown = this.page.locator('.monaco-select-box-dropdown-container');
    const choices = dropdown.locator('.monaco-list-row');
    // The Settings editor re-renders its rows now and then (e.g. when it finishes indexing right after opening): the
    // first click on "Edit Item" can be lost to its hover, the select can be replaced while being clicked. Redo the
    // step that was lost until the dropdown is open.
    const openDropdown = (): Promise<void> =>
      poll(
        async () => {
          if (!(await editRow.isVisible())) {
            await row.hover();
            await row.locator('.monaco-action-bar a.action-label[aria-label="Edit Item"]').click({ timeout: 2_000 });
            await editRow.waitFor({ timeout: 2_000 });
          }
          await editRow.locator('select.monaco-select-box').click({ timeout: 3_000 });
          await choices.first().waitFor({ timeout: 2_000 });
          return true;
        },
        STEP_TIMEOUT_MS * 2,
        () => `could not open the dropdown of ${key}[${index}]`,
      );
    const shown = async (): Promise<boolean> => (await this.settingListValues(key))[index] === value;
    const written = (): boolean => {
      const list = this.readUserSettings()[key];
      return Array.isArray(list) && list[index] === value;
    };
    const search = this.page.locator('.settings-editor .settings-header .suggest-input-container .monaco-editor textarea');
    const tab = (label: string): Locator => this.page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: new RegExp(`^${label}`) }).first();
    let offered: string[] = [];
    // Under load a choice or the OK can also be lost (nothing written: the Agents tree keeps the old chain): then the
    // edit is made again, as a person would, up to three times.
    for (let edit = 1; ; edit += 1) {
      await openDropdown();
      offered = (await choices.allInnerTexts()).map((text) => text.trim());
      if (options.screenshot && edit === 1) {
        await this.screenshot(options.screenshot);
      }
      const choice = choices.filter({ hasText: new RegExp(`^\\s*${escapeRegExp(value)}\\s*$`) }).first();
      if ((await choice.count()) === 0) {
        throw new Error(`the dropdown of ${key}[${index}] does not offer "${value}"; it offers ${JSON.stringify(offered)}`);
      }
      await choice.click();
      await editRow.locator('.setting-list-ok-button').click();
      // The Settings editor postpones re-rendering a setting while a control of it has focus (the list keeps it after
      // OK), so the old value can stay on screen for good: after a moment, move the focus to the search box, as a
      // person moving on would, which lets it render. Under load it can keep the old value on screen even then, with
      // the setting written (the Agents tree follows): then it switches to the Workspace tab and back to User, which
      // renders the rows again from the configuration.
      const okAt = Date.now();
      let focusMoved = false;
      let rerendered = false;
      let outcome: 'shown' | 'lost' | undefined;
      await poll(
        async () => {
          if (await shown()) {
            outcome = 'shown';
            return true;
          }
          const waited = Date.now() - okAt;
          if (!focusMoved && waited > 2_000) {
            focusMoved = true;
            await search.focus();
          } else if (focusMoved && !rerendered && waited > 6_000 && written()) {
            rerendered = true;
            await this.page.mouse.move(5, 5);
            await tab('Workspace').click();
            await tab('User').click();
          } else if (waited > 9_000 && !written() && edit < 3) {
            outcome = 'lost';
          }
          return outcome !== undefined;
        },
        STEP_TIMEOUT_MS,
        async () => `${key}[${index}] does not show "${value}": ${JSON.stringify(await this.settingListValues(key))}`,
      );
      if (outcome === 'shown') break;
    }
    return offered;
  }

  // --- Files of the session -------------------------------------------------------------------------------------

  /** code-server's --user-data-dir (User/settings.json, logs/, User/globalStorage/...). */
  get userDataDir(): string {
    return path.join(this.server.stateDir, 'user-data');
  }

  /** The user settings file of the session. */
  get userSettingsFile(): string {
    return path.join(this.userDataDir, 'User', 'settings.json');
  }

  /** The user settings as code-server has them on disk now. */
  readUserSettings(): Record<string, unknown> {
    return parseJsonc(fs.readFileSync(this.userSettingsFile, 'utf8')) as Record<string, unknown>;
  }

  /** This extension's global storage folder (ledger, ...): User/globalStorage/<publisher>.<name>. */
  get globalStorageDir(): string {
    return path.join(this.userDataDir, GLOBAL_STORAGE_PATH);
  }

  /** The extension's usage ledger folder (its global storage's ledger/: ledger.sqlite and the journals). */
  get ledgerDir(): string {
    return path.join(this.globalStorageDir, 'ledger');
  }

  /** The log files of the session (every *.log under the user data dir, the extension's output channel included). */
  logFiles(): string[] {
    return listFiles(path.join(this.userDataDir, 'logs')).filter((file) => file.endsWith('.log'));
  }

  /** The log file of an output channel (e.g. "Model Router"), written by the extension host. */
  outputChannelLogFile(channel: string): string | undefined {
    return this.logFiles().find((file) => path.basename(file).endsWith(`-${channel}.log`) || path.basename(file) === `${channel}.log`);
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
        try {
          await this.fakes?.close();
        } finally {
          if (this.ownedStateDir) fs.rmSync(this.ownedStateDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
        }
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

  /**
   * True when the panel is open on the Output tab. VS Code 1.100 always showed the panel's tabs; 1.104 hides them
   * when the panel is narrow (it sits under the editors only), so the Output view itself being visible counts too.
   */
  async isActive(): Promise<boolean> {
    const tab = this.page.locator('.part.panel .composite-bar .action-item.checked a.action-label[aria-label^="Output"]');
    return (await tab.isVisible()) || (await this.view.isVisible());
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

function cssString(text: string): string {
  return text.replace(/["\\]/g, '\\$&');
}

/** Text as one line: the editor wraps long lines, a notification splits message, source and buttons. */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `text` as a literal inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A tree item as the sidebar shows it. */
export interface TreeItemText {
  label: string;
  description: string;
  /** 1 for roots. */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
}

/** Every file under `dir` (recursively); none when it does not exist. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/**
 * The files under `dir` whose bytes contain `needle` (as UTF-8, UTF-16LE, or base64 of its UTF-8, so an encoded copy
 * is found too), with the encoding that matched.
 */
export function filesContaining(dir: string | string[], needle: string): { file: string; encoding: string }[] {
  const patterns: [string, Buffer][] = [
    ['utf8', Buffer.from(needle, 'utf8')],
    ['utf16le', Buffer.from(needle, 'utf16le')],
    ['base64', Buffer.from(Buffer.from(needle, 'utf8').toString('base64').slice(0, 16), 'utf8')],
  ];
  const hits: { file: string; encoding: string }[] = [];
  for (const file of (Array.isArray(dir) ? dir : [dir]).flatMap((d) => (fs.statSync(d, { throwIfNoEntry: false })?.isFile() ? [d] : listFiles(d)))) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      continue;
    }
    for (const [encoding, pattern] of patterns) {
      if (bytes.includes(pattern)) hits.push({ file, encoding });
    }
  }
  return hits;
}

/** JSON with comments and trailing commas (settings.json). */
export function parseJsonc(text: string): unknown {
  const withoutComments = text.replace(/"(?:[^"\\]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (match) => (match.startsWith('"') ? match : ''));
  return JSON.parse(withoutComments.replace(/,(\s*[}\]])/g, '$1'));
}

/** A secret as it may appear in a failure message: its first 6 characters only. */
export function redact(secret: string): string {
  return `${secret.slice(0, 6)}…`;
}
