/**
 * Helpers the extension-host tests share: the extension's test API, polling, sample files in the workspace, and
 * the fakes' control client (tests that need the fakes skip without it).
 */
import * as assert from 'node:assert/strict';

import * as vscode from 'vscode';

import { name, publisher } from '../../../package.json';
import type { ModelRouterApi, TreeSnapshot, TreeSnapshotItem } from '../../../src/extension';
import type { Control } from './control';
import { control } from './control';

export const extensionId = `${publisher}.${name}`;

/** Activates the extension (if needed) and returns what activate() returned. */
export async function extensionApi(): Promise<ModelRouterApi> {
  const extension = vscode.extensions.getExtension<ModelRouterApi>(extensionId);
  assert.ok(extension, `extension ${extensionId} is not loaded`);
  return extension.activate();
}

/** The fakes' control client; skips the calling test (or suite, from a hook) when the runner started none. */
export function fakesOrSkip(context: Mocha.Context): Control {
  const client = control();
  if (!client) context.skip();
  return client;
}

/** Polls `probe` until it returns something other than undefined/false; fails with `describe()` after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, describe: () => string | Promise<string>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The workspace folder the runner opened. */
export function workspaceFolder(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder.uri;
}

/**
 * Writes `text` to `relativePath` in the workspace (a real file on disk), opens it in an editor and selects
 * `selection` (the first occurrence of that text; default: the whole file).
 */
export async function openSample(relativePath: string, text: string, selection?: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.joinPath(workspaceFolder(), relativePath);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  const start = selection === undefined ? 0 : text.indexOf(selection);
  assert.ok(start >= 0, `the sample has no "${selection}"`);
  const end = selection === undefined ? text.length : start + selection.length;
  editor.selection = new vscode.Selection(document.positionAt(start), document.positionAt(end));
  return editor;
}

/** Item `id` (e.g. `provider:anthropic`, `agent:implementer`) of a snapshot, searched at every depth. */
export function treeItem(items: readonly TreeSnapshotItem[], id: string): TreeSnapshotItem | undefined {
  for (const item of items) {
    if (item.id === id) return item;
    const child = treeItem(item.children, id);
    if (child) return child;
  }
  return undefined;
}

/** One line per item, indented by depth: for failure messages. */
export function describeTree(items: readonly TreeSnapshotItem[], indent = ''): string {
  return items.map((item) => `${indent}${item.label} — ${item.description}\n${describeTree(item.children, `${indent}  `)}`).join('');
}

/** Waits until the tree snapshot satisfies `check`; the failure message shows the tree. */
export async function waitForTree(api: ModelRouterApi, check: (snapshot: TreeSnapshot) => boolean, what: string, timeoutMs = 10_000): Promise<TreeSnapshot> {
  let last: TreeSnapshot | undefined;
  return waitFor(
    async () => {
      last = await api.treeSnapshot();
      return check(last) ? last : undefined;
    },
    () => `${what}; the trees show:\n${last ? `${describeTree(last.providers)}${describeTree(last.agents)}` : '(nothing)'}`,
    timeoutMs,
  );
}

/**
 * Stores the placeholder keys of the environment (the fakes', put there by the runner) in SecretStorage through the
 * extension's own "Import Keys from Environment" command. The runner withholds Gemini's: the Set API Key test
 * stores that one by typing it.
 */
export async function importEnvironmentKeys(): Promise<void> {
  await vscode.commands.executeCommand('modelRouter.importKeysFromEnv');
}

/**
 * A suite against the simulated providers, from its `before` hook: the fakes' control client (the suite skips without
 * one), the extension's API, and the runner's placeholder keys imported into SecretStorage.
 */
export async function againstSimulatedProviders(context: Mocha.Context): Promise<{ c: Control; api: ModelRouterApi }> {
  const c = fakesOrSkip(context);
  const api = await extensionApi();
  await importEnvironmentKeys();
  return { c, api };
}
