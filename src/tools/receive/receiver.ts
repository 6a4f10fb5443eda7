import { mkdirSync } from "node:fs";
import type { ServerWebSocket } from "bun";
import {
  DEFAULT_ACK_INTERVAL_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_WINDOW,
  decodeRecords,
  EASP_SUBPROTOCOL,
  EaspCloseCode,
  EaspProtocolError,
  type OpenedMessage,
  type OpenMessage,
  parseClientMessage,
} from "../../easp/index.ts";
import { errorMessage, type Logger, silentLogger, systemClock, type TimerHandle } from "../../lib/index.ts";
import { ReceiverError } from "./errors.ts";
import { ReceiverSession } from "./receiver-session.ts";

/** Options of {@link startEaspReceiver}. */
export interface EaspReceiverOptions {
  /** Address to listen on (e.g. `127.0.0.1`, `0.0.0.0`). */
  host: string;
  /** TCP port; 0 = any free port (see {@link EaspReceiver.port}). */
  port: number;
  /** Folder for `<callId>/<sessionId>-<streamId>.wav` and `<callId>/<sessionId>.json`. */
  outDir: string;
  /** @default silentLogger */
  logger?: Logger;
  /** How often committed items are acknowledged, ms. @default 500 */
  ackIntervalMs?: number;
  /** `opened.window`: unacknowledged audio a client may have in flight. @default { ms: 10000, bytes: 4 MiB } */
  window?: { ms: number; bytes: number };
  /** `opened.replay.maxRate`: pace of replayed audio, × real time (0 = unlimited). @default 0 */
  replayMaxRate?: number;
  /**
   * `opened.discardBefore` (ISO-8601): the receiver declines audio captured before it; the sender
   * sends GAP DECLINED records for it instead, written as silence and listed in the session's gaps.
   * @default none
   */
  discardBefore?: string;
}

/** Counters of a running receiver. */
export interface EaspReceiverStats {
  /** Distinct sessions opened since start. */
  sessions: number;
  /** AUDIO and GAP records written. */
  records: number;
  /** Audio payload bytes written. */
  bytes: number;
  /** Durable items dropped as duplicates (already received). */
  duplicates: number;
  /** Records that carried the REPLAY flag (delivered late, from the sender's spool). */
  replayRecords: number;
  /** Connections closed for a protocol or storage error. */
  errors: number;
}

/** A running reference EASP/1 receiver. */
export interface EaspReceiver {
  /** The port it listens on. */
  readonly port: number;
  /** Counters since start. */
  stats(): EaspReceiverStats;
  /** Commits every open session, closes the connections (1001) and stops listening. Idempotent. */
  close(): Promise<void>;
}

/** Per-connection state (`ws.data`). */
interface Connection {
  session: ReceiverSession | undefined;
  ackTimer: TimerHandle | undefined;
  /** Last seq sent in an `ack`. */
  lastAcked: number;
}

type Socket = ServerWebSocket<Connection>;

/**
 * Starts the reference EASP/1 receiver (`siprec-edge receive`, EASP.md §2–5): a WebSocket server
 * that requires the `easp.v1` subprotocol, answers `open` with `opened{nextSeq: committed+1}`
 * (1 for a session it does not know, e.g. after being started on an empty folder), validates every
 * item, writes one WAV file per stream, and acknowledges only what is on disk. Each session —
 * continuation segments (`continuationOf`) included — gets its own files in the call's folder.
 * Duplicates are recognised by `(sessionId, seq)` alone: a record re-sent after an outage carries
 * the REPLAY flag and is otherwise the same item, so bytes are never compared.
 * @throws ReceiverError `RECEIVER_LISTEN` when it cannot listen on `host:port`.
 */
export async function startEaspReceiver(options: EaspReceiverOptions): Promise<EaspReceiver> {
  mkdirSync(options.outDir, { recursive: true });
  return new EaspReceiverImpl(options);
}

/** @internal The implementation behind {@link startEaspReceiver}. */
class EaspReceiverImpl implements EaspReceiver {
  readonly #options: EaspReceiverOptions;
  readonly #log: Logger;
  readonly #ackIntervalMs: number;
  readonly #server: Bun.Server<Connection>;
  /** Sessions attached to a live connection (one connection per session, EASP.md §5). */
  readonly #attached = new Map<string, Socket>();
  readonly #seen = new Set<string>();
  readonly #stats: EaspReceiverStats = {
    sessions: 0,
    records: 0,
    bytes: 0,
    duplicates: 0,
    replayRecords: 0,
    errors: 0,
  };
  #closed = false;

  constructor(options: EaspReceiverOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    this.#ackIntervalMs = options.ackIntervalMs ?? DEFAULT_ACK_INTERVAL_MS;
    try {
      this.#server = Bun.serve<Connection>({
        hostname: options.host,
        port: options.port,
        fetch: (req, server) => this.#upgrade(req, server),
        websocket: {
          message: (ws, message) => this.#onMessage(ws, message),
          close: (ws) => this.#onClose(ws),
          maxPayloadLength: 4 * DEFAULT_MAX_MESSAGE_BYTES,
        },
      });
    } catch (err) {
      throw new ReceiverError("RECEIVER_LISTEN", `cannot listen on ${options.host}:${options.port}`, {
        cause: err,
      });
    }
  }

  get port(): number {
    return this.#server.port ?? 0;
  }

  stats(): EaspReceiverStats {
    return { ...this.#stats, sessions: this.#seen.size };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const ws of this.#attached.values()) {
      this.#detach(ws);
      ws.close(EaspCloseCode.GoingAway, "receiver shutting down");
    }
    await this.#server.stop(true);
  }

  /** HTTP → WebSocket upgrade; the client must offer `easp.v1` (EASP.md §2). */
  #upgrade(req: Request, server: Bun.Server<Connection>): Response | undefined {
    const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    if (!offered.includes(EASP_SUBPROTOCOL)) {
      return new Response(`EASP/1 needs Sec-WebSocket-Protocol: ${EASP_SUBPROTOCOL}\n`, { status: 400 });
    }
    const data: Connection = { session: undefined, ackTimer: undefined, lastAcked: 0 };
    if (server.upgrade(req, { data, headers: { "Sec-WebSocket-Protocol": EASP_SUBPROTOCOL } }))
      return undefined;
    return new Response("WebSocket upgrade expected\n", { status: 400 });
  }

  #onMessage(ws: Socket, message: string | Buffer): void {
    try {
      if (typeof message === "string") this.#onText(ws, message);
      else this.#onBinary(ws, message);
    } catch (err) {
      this.#fail(ws, err);
    }
  }

  #onText(ws: Socket, text: string): void {
    const message = parseClientMessage(text);
    if (!message) {
      this.#log.debug("ignored a message of unknown type", { text: text.slice(0, 80) });
      return;
    }
    if (message.type === "open") {
      this.#onOpen(ws, message);
      return;
    }
    const session = ws.data.session;
    if (!session) throw new EaspProtocolError("EASP_MESSAGE_UNEXPECTED", `${message.type} before open`);
    switch (message.type) {
      case "stream.start":
      case "stream.end":
      case "metadata":
      case "event":
        if (!session.acceptItem(message)) this.#stats.duplicates += 1;
        break;
      case "sync":
        this.#ack(ws, true);
        break;
      case "ping":
        ws.send(JSON.stringify({ type: "pong", v: 1, t: message.t }));
        break;
      case "close": {
        const committed = this.#ack(ws, true);
        if (committed < message.finalSeq) {
          throw new EaspProtocolError(
            "EASP_SEQ_GAP",
            `close{finalSeq:${message.finalSeq}} but only ${committed} received`,
          );
        }
        ws.send(JSON.stringify({ type: "closed", v: 1, finalSeq: message.finalSeq }));
        this.#log.info("EASP session complete", { sessionId: session.sessionId, finalSeq: message.finalSeq });
        break;
      }
      case "error":
        this.#log.warn("client reported an error", { code: message.code, message: message.message });
        break;
    }
  }

  #onBinary(ws: Socket, bytes: Uint8Array): void {
    const session = ws.data.session;
    if (!session) throw new EaspProtocolError("EASP_MESSAGE_UNEXPECTED", "audio before open");
    const result = session.acceptRecords(decodeRecords(bytes));
    this.#stats.records += result.records;
    this.#stats.bytes += result.bytes;
    this.#stats.duplicates += result.duplicates;
    this.#stats.replayRecords += result.replayRecords;
  }

  #onOpen(ws: Socket, open: OpenMessage): void {
    if (ws.data.session)
      throw new EaspProtocolError("EASP_MESSAGE_UNEXPECTED", "second open on one connection");
    if (this.#attached.has(open.sessionId)) {
      const message = `session ${open.sessionId} is attached on another connection`;
      ws.send(
        JSON.stringify({
          type: "error",
          v: 1,
          code: EaspCloseCode.SessionAttached,
          message,
          retryAfterMs: 1000,
          fatal: false,
        }),
      );
      ws.close(EaspCloseCode.SessionAttached, "session attached elsewhere");
      return;
    }
    const session = ReceiverSession.open(this.#options.outDir, open);
    ws.data.session = session;
    ws.data.lastAcked = session.committed;
    this.#attached.set(session.sessionId, ws);
    this.#seen.add(session.sessionId);
    const opened: OpenedMessage = {
      type: "opened",
      v: 1,
      sessionId: session.sessionId,
      nextSeq: session.committed + 1,
      window: { ...(this.#options.window ?? DEFAULT_WINDOW) },
      ackIntervalMs: this.#ackIntervalMs,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      replay: { maxRate: this.#options.replayMaxRate ?? 0 },
      ...(this.#options.discardBefore !== undefined ? { discardBefore: this.#options.discardBefore } : {}),
    };
    ws.send(JSON.stringify(opened));
    ws.data.ackTimer = systemClock.setInterval(() => this.#ack(ws, false), this.#ackIntervalMs);
    this.#log.info("EASP session opened", {
      callId: open.callId,
      sessionId: open.sessionId,
      segment: open.segment,
      continuationOf: open.continuationOf,
      resume: open.resume,
      nextSeq: opened.nextSeq,
    });
  }

  /** Commits the session (write, fsync, state file) and then acknowledges; returns the committed seq. */
  #ack(ws: Socket, always: boolean): number {
    const session = ws.data.session;
    if (!session) return 0;
    const committed = session.commit();
    if (always || committed > ws.data.lastAcked) {
      ws.data.lastAcked = committed;
      ws.send(JSON.stringify({ type: "ack", v: 1, seq: committed }));
    }
    return committed;
  }

  /** Reports an error to the client and closes the connection (EASP.md §7: error, then close). */
  #fail(ws: Socket, err: unknown): void {
    this.#stats.errors += 1;
    const protocol =
      err instanceof EaspProtocolError || (err instanceof ReceiverError && err.code === "RECEIVER_BAD_ID");
    const code = protocol ? EaspCloseCode.ProtocolError : EaspCloseCode.InternalError;
    const message = errorMessage(err);
    this.#log.warn("closing an EASP connection", {
      code: err instanceof Error && "code" in err ? err.code : "UNKNOWN",
      closeCode: code,
      error: message,
    });
    ws.send(JSON.stringify({ type: "error", v: 1, code, message, fatal: false }));
    ws.close(code, message.slice(0, 100));
  }

  #onClose(ws: Socket): void {
    this.#detach(ws);
  }

  /** Stops acking, commits what was written and closes the session's files. */
  #detach(ws: Socket): void {
    systemClock.clearTimer(ws.data.ackTimer);
    ws.data.ackTimer = undefined;
    const session = ws.data.session;
    if (!session) return;
    ws.data.session = undefined;
    if (this.#attached.get(session.sessionId) === ws) this.#attached.delete(session.sessionId);
    try {
      session.close();
    } catch (err) {
      this.#log.error("could not commit an EASP session", {
        code: "RECEIVER_STATE",
        sessionId: session.sessionId,
        error: errorMessage(err),
      });
    }
  }
}
