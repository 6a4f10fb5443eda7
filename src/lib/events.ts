import { EventEmitter } from "node:events";

/** Map of event name → argument tuple, e.g. `{ close: []; frame: [Frame] }`. */
export type EventMap = Record<string, unknown[]>;

/**
 * A typed `EventEmitter`: event names and argument tuples come from the map `E`.
 *
 * Internal code emits with {@link TypedEmitter.safeEmit}, so a throwing listener (an MQTT bridge,
 * the status page) is reported as `listenererror` and never breaks the emitter's caller (a SIP
 * transaction, an RTP read loop). Private events are prefixed with `@` (e.g. `'@close'`).
 */
export class TypedEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(100);
  }

  /** Adds a listener for `event`. */
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Adds a listener that runs at most once. */
  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes every listener, of one event or of all. */
  removeAllListeners<K extends keyof E & string>(event?: K): this {
    this.#emitter.removeAllListeners(event);
    return this;
  }

  /** Number of listeners of `event`. */
  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  /**
   * Emits `event` to every listener. A listener that throws does not stop the others and is never
   * rethrown: the error is emitted as `listenererror` (or swallowed if nobody listens to that).
   * @returns whether the event had listeners.
   */
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const listeners = this.#emitter.rawListeners(event) as Array<(...a: unknown[]) => void>;
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (err) {
        if (event !== "listenererror") this.#emitter.emit("listenererror", event, err);
      }
    }
    return listeners.length > 0;
  }
}
