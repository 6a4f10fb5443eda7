import { type Clock, errorMessage, type Logger } from "../lib/index.ts";

/** Slots of the Int32Array shared with the worker. */
const Slot = {
  /** Checkpoints asked for (main increments, then notifies). */
  requested: 0,
  /** The last request the worker finished. */
  handled: 1,
  /** 1: the worker must close its connection and stop. */
  stop: 2,
  /** 1: the worker has closed its connection (or never opened one). */
  stopped: 3,
  /** Checkpoints completed. */
  completed: 4,
  /** Of those, RESTART checkpoints. */
  restarts: 5,
  /** 1: the worker could not open the spool. */
  fatal: 6,
  /** Pages in the WAL after the worker's last checkpoint. */
  walPages: 7,
} as const;

/**
 * The worker's code, run from a Blob URL so `bun build --compile` needs no extra entry point. It owns
 * a second connection to the spool and waits on shared memory (so it never depends on the main
 * thread's event loop) for checkpoint requests, each a `PRAGMA wal_checkpoint(PASSIVE)`: PASSIVE
 * never waits for and never blocks the main connection's readers and writer. A WAL that commits keep
 * growing is only reset once a checkpoint finishes between two commits, so when the WAL holds more
 * than `restartPages` after the PASSIVE pass, the worker runs `wal_checkpoint(RESTART)`: it waits for
 * the main writer's current commit (200 ms at most), holds back the next one while it copies what
 * is left (little: the PASSIVE pass copied the rest) and lets the WAL start over. That bounds the WAL, and with it the
 * time SQLite needs to replay it when the spool is opened after a crash.
 */
const workerSource = `
import { Database } from "bun:sqlite";
self.onmessage = (event) => {
  const { path, synchronous, restartPages, shared } = event.data;
  const s = new Int32Array(shared);
  const report = (fatal, err) =>
    postMessage({ type: "failed", fatal, error: String((err && err.message) || err), code: String((err && err.code) || "") });
  let db;
  try {
    db = new Database(path, { readwrite: true, create: false });
    db.run("PRAGMA busy_timeout = 200");
    db.run("PRAGMA synchronous = " + synchronous);
  } catch (err) {
    Atomics.store(s, ${Slot.fatal}, 1);
    Atomics.store(s, ${Slot.stopped}, 1);
    Atomics.notify(s, ${Slot.stopped});
    report(true, err);
    return;
  }
  postMessage({ type: "ready" });
  let handled = 0;
  while (Atomics.load(s, ${Slot.stop}) === 0) {
    const requested = Atomics.load(s, ${Slot.requested});
    if (requested === handled) {
      Atomics.wait(s, ${Slot.requested}, handled, 1000);
      continue;
    }
    handled = requested;
    try {
      let r = db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      Atomics.store(s, ${Slot.walPages}, r.log);
      if (r.log > restartPages) {
        r = db.query("PRAGMA wal_checkpoint(RESTART)").get();
        if (r.busy === 0) {
          Atomics.add(s, ${Slot.restarts}, 1);
          Atomics.store(s, ${Slot.walPages}, 0);
        }
      }
      Atomics.add(s, ${Slot.completed}, 1);
    } catch (err) {
      report(false, err);
    }
    Atomics.store(s, ${Slot.handled}, handled);
  }
  try { db.close(); } catch {}
  Atomics.store(s, ${Slot.stopped}, 1);
  Atomics.notify(s, ${Slot.stopped});
};
`;

/** What the worker posts (for logs only; progress goes through shared memory). */
type WorkerReply = { type: "ready" } | { type: "failed"; fatal: boolean; error: string; code: string };

/** WAL pages (4 KiB: 32 MiB) above which the worker resets the WAL with a RESTART checkpoint. */
const restartPages = 8192;
/**
 * WAL pages (64 MiB) above which the main thread resets the WAL itself: the worker's RESTART could not
 * get the write lock (commits back to back, the main thread never idle).
 */
const inlineRestartPages = 2 * restartPages;
/** A checkpoint that has not finished for this long means the worker is stuck, ms. */
const stuckAfterMs = 30_000;
/** How long `stop()` waits for the worker to close its connection, ms. */
const stopWaitMs = 2000;

/**
 * Runs the WAL checkpoints of a file spool on a worker thread, so the main thread only appends to
 * the WAL (DESIGN.md §4; SQLite's automatic checkpoint would copy pages into the database file, and
 * fsync it, inside every few group commits). The spool turns `wal_autocheckpoint` off while this runs
 * and asks for a checkpoint after commits ({@link Checkpointer.request}; one in flight at most).
 * Requests and progress go through shared memory, so checkpoints go on while the main thread is
 * busy. If the worker cannot open the spool, dies or stops finishing checkpoints, `fallBack` is
 * called once (the spool turns the automatic checkpoint back on) and the checkpointer stops.
 * @internal used by `SqliteSpool` only.
 */
export class Checkpointer {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #fallBack: () => void;
  readonly #state = new Int32Array(new SharedArrayBuffer(32));
  #worker: Worker | undefined;
  /** The Blob URL of the worker's code, revoked once the worker has loaded it (not before: it loads asynchronously). */
  #url: string | undefined;
  /** Clock ms when the request in flight was made. */
  #inFlightSince = 0;
  #failureLogged = false;

  /** Starts the worker on `path`, with `synchronous` as the spool's connection. */
  constructor(
    path: string,
    synchronous: "normal" | "full",
    clock: Clock,
    logger: Logger,
    fallBack: () => void,
  ) {
    this.#clock = clock;
    this.#logger = logger;
    this.#fallBack = fallBack;
    this.#url = URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
    const worker = new Worker(this.#url);
    worker.unref();
    worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#onReply(event.data);
    worker.onerror = (event: ErrorEvent) => this.#fail(`checkpoint worker error: ${event.message}`, "WORKER");
    worker.postMessage({
      path,
      synchronous: synchronous === "full" ? "FULL" : "NORMAL",
      restartPages,
      shared: this.#state.buffer,
    });
    this.#worker = worker;
  }

  /** Whether checkpoints run on the worker (false once it failed or stopped). */
  get active(): boolean {
    return this.#worker !== undefined;
  }

  /** Checkpoints completed by the worker. */
  get completed(): number {
    return Atomics.load(this.#state, Slot.completed);
  }

  /** Of those, the RESTART checkpoints that reset a WAL grown past 32 MiB. */
  get restarts(): number {
    return Atomics.load(this.#state, Slot.restarts);
  }

  /**
   * Whether the WAL outgrew what the worker can reset (64 MiB): the caller should run
   * `wal_checkpoint(RESTART)` itself between two commits, then call {@link Checkpointer.restarted}.
   */
  get walTooLarge(): boolean {
    return Atomics.load(this.#state, Slot.walPages) > inlineRestartPages;
  }

  /** The caller reset the WAL itself. */
  restarted(): void {
    Atomics.store(this.#state, Slot.walPages, 0);
  }

  /** Asks for a checkpoint unless one is in flight; falls back when the worker failed or is stuck. */
  request(): void {
    if (this.#worker === undefined) return;
    const s = this.#state;
    if (Atomics.load(s, Slot.fatal) === 1) {
      this.#fail("checkpoint worker cannot open the spool", "WORKER_OPEN");
      return;
    }
    const now = this.#clock.now();
    if (Atomics.load(s, Slot.handled) !== Atomics.load(s, Slot.requested)) {
      if (now - this.#inFlightSince >= stuckAfterMs)
        this.#fail("checkpoint worker stopped answering", "WORKER_STUCK");
      return;
    }
    this.#inFlightSince = now;
    Atomics.add(s, Slot.requested, 1);
    Atomics.notify(s, Slot.requested);
  }

  /**
   * Closes the worker's connection (waiting up to 2 s for a checkpoint in flight, so the caller's
   * final checkpoint does not race it) and ends the worker. Idempotent.
   */
  stop(): void {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#worker = undefined;
    const s = this.#state;
    Atomics.store(s, Slot.stop, 1);
    Atomics.notify(s, Slot.requested);
    Atomics.wait(s, Slot.stopped, 0, stopWaitMs);
    worker.terminate();
    this.#revokeUrl();
  }

  #onReply(reply: WorkerReply): void {
    if (reply.type === "ready") {
      this.#revokeUrl();
      return;
    }
    if (reply.fatal) {
      this.#fail(`checkpoint worker cannot open the spool: ${reply.error}`, reply.code);
      return;
    }
    if (this.#failureLogged) return;
    this.#failureLogged = true;
    this.#logger.warn("spool checkpoint failed; retried after the next commits", {
      code: reply.code || "UNKNOWN",
      error: reply.error,
    });
  }

  #revokeUrl(): void {
    if (this.#url !== undefined) URL.revokeObjectURL(this.#url);
    this.#url = undefined;
  }

  #fail(message: string, code: string): void {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#worker = undefined;
    this.#revokeUrl();
    this.#logger.error(`${message}; checkpoints run inside commits again`, { code });
    try {
      worker.terminate();
    } catch (err) {
      this.#logger.debug("checkpoint worker terminate failed", { error: errorMessage(err) });
    }
    this.#fallBack();
  }
}
