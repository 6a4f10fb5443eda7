import type { SinkForward } from "./sink-forward.ts";

/**
 * At most `replay.maxConcurrent` replay sessions per sink at once (issue #5 item 5: "concurrency limited
 * per target"); forwards waiting for a slot queue in request order (`recover()` asks oldest call first).
 */
export class ReplayGate {
  readonly #start: (forward: SinkForward) => boolean;
  readonly #running = new Map<string, number>();
  readonly #queues = new Map<string, SinkForward[]>();

  /** @param start starts a replay session of the forward; false when there is nothing to start now. */
  constructor(start: (forward: SinkForward) => boolean) {
    this.#start = start;
  }

  /** Replay sessions of `sink` running now. */
  running(sink: string): number {
    return this.#running.get(sink) ?? 0;
  }

  /** Asks for a replay session of `forward`: now if a slot is free, else when one frees. */
  request(forward: SinkForward): void {
    if (forward.queued || forward.replay) return;
    forward.queued = true;
    const queue = this.#queues.get(forward.sink) ?? [];
    queue.push(forward);
    this.#queues.set(forward.sink, queue);
    this.#pump(forward.sink);
  }

  /** A replay session of `sink` ended: its slot goes to the next waiting forward. */
  release(sink: string): void {
    this.#running.set(sink, Math.max(0, this.running(sink) - 1));
    this.#pump(sink);
  }

  /** Removes a forward from its queue (stopped, done). */
  drop(forward: SinkForward): void {
    if (!forward.queued) return;
    forward.queued = false;
    const queue = this.#queues.get(forward.sink);
    if (queue)
      this.#queues.set(
        forward.sink,
        queue.filter((f) => f !== forward),
      );
  }

  /** Forgets every queue. */
  clear(): void {
    for (const queue of this.#queues.values()) for (const forward of queue) forward.queued = false;
    this.#queues.clear();
  }

  #pump(sink: string): void {
    const queue = this.#queues.get(sink);
    while (queue && queue.length > 0) {
      const head = queue[0] as SinkForward;
      if (this.running(sink) >= head.forward.replay.maxConcurrent) return;
      queue.shift();
      head.queued = false;
      if (this.#start(head)) this.#running.set(sink, this.running(sink) + 1);
    }
  }
}
