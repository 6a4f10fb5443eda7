import type { Clock, Logger, TimerHandle } from "../lib/index.ts";
import { errorMessage } from "../lib/index.ts";

/** Produces the Server-Sent Events message(s) of one push, e.g. `event: x\ndata: {…}\n\n`. */
export type PushRenderer = () => string;

const encoder = new TextEncoder();

/**
 * Fans one periodic push out to every open `text/event-stream` response (WHATWG HTML
 * §9.2 Server-sent events). One timer runs while at least one client is connected; each push is
 * rendered once and written to all clients.
 */
export class SnapshotStreamHub {
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  readonly #render: PushRenderer;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #timer: TimerHandle | undefined;

  constructor(render: PushRenderer, intervalMs: number, clock: Clock, logger: Logger) {
    this.#render = render;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Opens a stream for a new client: a `retry` hint and the current state at once, then one push per interval. */
  open(): Response {
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        self = controller;
        const first = this.#renderSafely();
        controller.enqueue(encoder.encode(`retry: 2000\n\n${first ?? ""}`));
        this.#clients.add(controller);
        this.#timer ??= this.#clock.setInterval(() => this.#pushAll(), this.#intervalMs);
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

  #renderSafely(): string | undefined {
    try {
      return this.#render();
    } catch (err) {
      this.#logger.error("status snapshot failed", { error: errorMessage(err) });
      return undefined;
    }
  }

  #pushAll(): void {
    const message = this.#renderSafely();
    if (message === undefined) return;
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
      this.#clock.clearTimer(this.#timer);
      this.#timer = undefined;
    }
  }
}
