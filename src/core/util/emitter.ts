/**
 * A tiny typed event emitter for the core, which may not import `vscode`: breakers, key pools and budget alerts
 * fire through it, and the extension adapts it to its views.
 */
export interface Subscription {
  dispose(): void;
}

/** Subscribes a listener; the returned subscription removes it. Same shape as `vscode.Event` minus `thisArgs`. */
export type Listen<T> = (listener: (value: T) => void) => Subscription;

/**
 * A minimal typed event emitter. A listener that throws does not stop the others nor the code that fired the event
 * (a broken tree view must not break routing); its error goes to `onListenerError` when given.
 */
export class Emitter<T> {
  private listeners: ((value: T) => void)[] = [];

  constructor(private readonly onListenerError?: (error: unknown) => void) {}

  readonly event: Listen<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    let disposed = false;
    return {
      dispose: (): void => {
        if (disposed) return;
        disposed = true;
        this.listeners = this.listeners.filter((candidate) => candidate !== listener);
      },
    };
  };

  fire(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError?.(error);
      }
    }
  }

  get listenerCount(): number {
    return this.listeners.length;
  }

  dispose(): void {
    this.listeners = [];
  }
}
