/**
 * Ownership of disposables. A long-lived class extends {@link Disposable} and hands everything it creates
 * (event subscriptions, registrations, output channels, child services) to {@link Disposable._register}; disposing
 * the owner disposes them all, newest first. Shape taken from vscode-pull-request-github `src/common/lifecycle.ts`.
 *
 * This file has no `vscode` import on purpose: anything with a `dispose()` method can be owned, so the base class
 * can be unit-tested in plain Node.
 */

/** Anything that can be disposed; `vscode.Disposable` fits this shape. */
export interface DisposableLike {
  dispose(): unknown;
}

/**
 * Disposes every item, newest first. Keeps going when one throws, then rethrows: the single error as it is, several
 * as an `AggregateError`.
 */
export function disposeAll(disposables: Iterable<DisposableLike>): void {
  const errors: unknown[] = [];
  for (const disposable of [...disposables].reverse()) {
    try {
      disposable.dispose();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) {
    throw errors[0];
  }
  if (errors.length > 1) {
    throw new AggregateError(errors, 'Several disposables failed to dispose');
  }
}

/** Wraps a callback as a disposable that runs it once. */
export function toDisposable(dispose: () => void): DisposableLike {
  let done = false;
  return {
    dispose(): void {
      if (!done) {
        done = true;
        dispose();
      }
    },
  };
}

export abstract class Disposable implements DisposableLike {
  private _isDisposed = false;
  private _disposables: DisposableLike[] = [];

  /** Disposes everything registered, newest first. Calling it again does nothing. */
  public dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    const owned = this._disposables;
    this._disposables = [];
    disposeAll(owned);
  }

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Takes ownership of `value` and returns it. If this owner is already disposed, `value` is disposed at once
   * instead of leaking.
   */
  protected _register<T extends DisposableLike>(value: T): T {
    if (this._isDisposed) {
      value.dispose();
    } else {
      this._disposables.push(value);
    }
    return value;
  }
}
