import type { Clock, Logger, TimerHandle } from "../lib/index.ts";
import { errorMessage } from "../lib/index.ts";

/**
 * Produces the Server-Sent Events message(s) of one push, e.g. `event: x\ndata: {…}\n\n`, or
 * undefined when there is nothing to send this time.
 */
export type PushRenderer = () => string | undefined;

/** One kind of message pushed to every client at its own pace. */
export interface PeriodicPush {
  /** Renders the message. */
  render: PushRenderer;
  /** How often, ms. */
  intervalMs: number;
}

const encoder = new TextEncoder();

/**
 * Fans periodic pushes out to every open `text/event-stream` response (WHATWG HTML §9.2
 * Server-sent events): e.g. the snapshot every second and the audio levels every 250 ms. One timer
 * per push runs while at least one client is connected; each push is rendered once and written
 * to all clients.
 */
export class SnapshotStreamHub {
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  readonly #pushes: readonly PeriodicPush[];
  readonly #clock: Clock;
  readonly #logger: Logger;
  #timers: TimerHandle[] = [];

  constructor(pushes: readonly PeriodicPush[], clock: Clock, logger: Logger) {
    this.#pushes = pushes;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Opens a stream for a new client: a `retry` hint and every push at once, then each at its interval. */
  open(): Response {
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        self = controller;
        const first = this.#pushes.map((push) => this.#renderSafely(push) ?? "").join("");
        controller.enqueue(encoder.encode(`retry: 2000\n\n${first}`));
        this.#clients.add(controller);
        if (this.#timers.length === 0) {
          this.#timers = this.#pushes.map((push) =>
            this.#clock.setInterval(() => this.#pushAll(push), push.intervalMs),
          );
        }
      },
      cancel: () => {
        if (self) this.#drop(self);
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  }

  /** Number of connected clients. */
  get size(): number {
    return this.#clients.size;
  }

  /** Ends every stream and stops the timer. */
  closeAll(): void {
    for (const controller of [...this.#clients]) {
      this.#drop(controller);
      try {
        controller.close();
      } catch {
        // Already closed by the client going away.
      }
    }
  }

  #renderSafely(push: PeriodicPush): string | undefined {
    try {
      return push.render();
    } catch (err) {
      this.#logger.error("status snapshot failed", { error: errorMessage(err) });
      return undefined;
    }
  }

  #pushAll(push: PeriodicPush): void {
    const message = this.#renderSafely(push);
    if (!message) return;
    const bytes = encoder.encode(message);
    for (const controller of [...this.#clients]) {
      try {
        controller.enqueue(bytes);
      } catch {
        this.#drop(controller);
      }
    }
  }

  #drop(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#clients.delete(controller);
    if (this.#clients.size === 0) {
      for (const timer of this.#timers) this.#clock.clearTimer(timer);
      this.#timers = [];
    }
  }
}
