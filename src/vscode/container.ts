import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

/** Name of the output channel; also what a person picks in the Output panel's dropdown. */
export const outputChannelName = 'Model Router';

/**
 * The extension's services, built once by `activate()` (GitLens `src/container.ts`). Every service is created here
 * and owned through `_register()`, so disposing the container (VS Code does, through `context.subscriptions`)
 * releases everything.
 *
 * The container is passed to whoever needs it; it is never reachable through a module-level variable. The only
 * static state is a private flag that makes a second {@link Container.create} fail loudly while one container is
 * alive; disposing the container clears it, so a deactivate/activate cycle in the same host still works.
 */
export class Container extends Disposable {
  static #alive = false;

  /** Builds the container. Throws if one is already alive. */
  public static create(context: vscode.ExtensionContext): Container {
    if (Container.#alive) {
      throw new Error('Model Router: the container is already built; activate() must run only once.');
    }
    Container.#alive = true;
    try {
      return new Container(context);
    } catch (error) {
      Container.#alive = false;
      throw error;
    }
  }

  /** The extension's log; its level follows "Developer: Set Log Level…". */
  public readonly log: vscode.LogOutputChannel;
  /** The extension's version, from its package.json. */
  public readonly version: string;

  private constructor(context: vscode.ExtensionContext) {
    super();
    this.version = readVersion(context);
    this.log = this._register(vscode.window.createOutputChannel(outputChannelName, { log: true }));
  }

  public override dispose(): void {
    try {
      super.dispose();
    } finally {
      Container.#alive = false;
    }
  }
}

function readVersion(context: vscode.ExtensionContext): string {
  const manifest: unknown = context.extension.packageJSON;
  if (typeof manifest === 'object' && manifest !== null && 'version' in manifest) {
    const version: unknown = manifest.version;
    if (typeof version === 'string') {
      return version;
    }
  }
  return 'unknown';
}
