import type { ServerWebSocket } from "bun";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_WINDOW,
  decodeRecords,
  EASP_SUBPROTOCOL,
  type OpenedMessage,
  type OpenMessage,
} from "../../../src/easp/index.ts";

/** A record as the scripted receiver got it (header fields and a copy of the payload). */
export interface ReceivedRecord {
  sessionId: string;
  seq: number;
  kind: number;
  flags: number;
  maskOrReason: number;
  pos: number;
  captureUs: number;
  durationSamples: number;
  payload: Uint8Array;
}

/** How the scripted receiver answers; tests change it between steps. */
export interface ScriptedBehaviour {
  /** `accept` the upgrade, or refuse it with this HTTP status. */
  upgrade: "accept" | number;
  /** Fields of `opened` that differ from the defaults (nextSeq defaults to committed + 1); null: never answer. */
  opened: (open: OpenMessage, committed: number) => Partial<OpenedMessage> | null;
  /** Acknowledge (cumulatively) what arrived, on `sync` and every 50 ms. */
  ack: boolean;
  /** Answer `ping` with `pong`. */
  pong: boolean;
}

interface Conn {
  sessionId: string | undefined;
}

/**
 * A WebSocket server on 127.0.0.1 that speaks just enough EASP/1 to drive a sink through the
 * cases the reference receiver never produces on its own (small windows, no acks, XOFF, error
 * codes, a receiver ahead or behind). It keeps every record and JSON item it got, per session, and
 * acknowledges by seq only (no validation: the reference receiver's own tests cover that).
 */
export class ScriptedReceiver {
  readonly behaviour: ScriptedBehaviour = {
    upgrade: "accept",
    opened: () => ({}),
    ack: true,
    pong: true,
  };
  /** Upgrade requests seen (accepted or refused). */
  upgrades = 0;
  readonly opens: OpenMessage[] = [];
  readonly records: ReceivedRecord[] = [];
  /** Sizes of the binary messages received, bytes. */
  readonly messageSizes: number[] = [];
  /** JSON messages from clients, with the session they came on. */
  readonly texts: Array<{ sessionId: string | undefined; message: Record<string, unknown> }> = [];
  /** Highest seq received contiguously, per session. */
  readonly received = new Map<string, number>();
  readonly #sockets = new Set<ServerWebSocket<Conn>>();
  readonly #server: Bun.Server<Conn>;
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor() {
    this.#server = Bun.serve<Conn>({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req, server) => {
        this.upgrades += 1;
        if (this.behaviour.upgrade !== "accept")
          return new Response("refused\n", { status: this.behaviour.upgrade });
        const ok = server.upgrade(req, {
          data: { sessionId: undefined },
          headers: { "Sec-WebSocket-Protocol": EASP_SUBPROTOCOL },
        });
        return ok ? undefined : new Response("upgrade expected\n", { status: 400 });
      },
      websocket: {
        open: (ws) => {
          this.#sockets.add(ws);
        },
        message: (ws, message) => this.#onMessage(ws, message),
        close: (ws) => {
          this.#sockets.delete(ws);
        },
      },
    });
    this.#timer = setInterval(() => {
      if (this.behaviour.ack) for (const ws of this.#sockets) this.#ack(ws);
    }, 50);
  }

  /** Starts a receiver on a free port. */
  static start(): ScriptedReceiver {
    return new ScriptedReceiver();
  }

  get port(): number {
    return this.#server.port ?? 0;
  }

  /** Connections currently open. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Records of a session, in arrival order. */
  recordsOf(sessionId: string): ReceivedRecord[] {
    return this.records.filter((r) => r.sessionId === sessionId);
  }

  /** JSON messages of one type from clients. */
  textsOf(type: string): Array<Record<string, unknown>> {
    return this.texts.filter((t) => t.message.type === type).map((t) => t.message);
  }

  /** Sends a JSON message on every open connection. */
  sendAll(message: object): void {
    for (const ws of this.#sockets) ws.send(JSON.stringify(message));
  }

  /**
   * Sends `error{code, retryAfterMs, fatal}` first when `error` is given (its `code` defaults to the
   * close code) and closes every connection with `code`.
   */
  closeAll(code: number, error?: { code?: number; retryAfterMs?: number; fatal?: boolean }): void {
    for (const ws of this.#sockets) {
      if (error)
        ws.send(JSON.stringify({ type: "error", v: 1, code, message: `scripted ${code}`, ...error }));
      ws.close(code, `scripted ${code}`);
    }
  }

  /** Forgets what sessions received (a receiver that lost its state). */
  forget(): void {
    this.received.clear();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const ws of this.#sockets) ws.close(1001, "stopping");
    await this.#server.stop(true);
  }

  #onMessage(ws: ServerWebSocket<Conn>, message: string | Buffer): void {
    const sessionId = ws.data.sessionId;
    if (typeof message !== "string") {
      if (!sessionId) return;
      this.messageSizes.push(message.byteLength);
      for (const r of decodeRecords(new Uint8Array(message))) {
        this.records.push({ ...r, sessionId, payload: r.payload.slice() });
        this.#advance(sessionId, r.seq);
      }
      return;
    }
    const json = JSON.parse(message) as Record<string, unknown>;
    this.texts.push({ sessionId, message: json });
    if (json.type === "open") this.#onOpen(ws, json as unknown as OpenMessage);
    else if (json.type === "sync" && this.behaviour.ack) this.#ack(ws);
    else if (json.type === "ping" && this.behaviour.pong)
      ws.send(JSON.stringify({ type: "pong", v: 1, t: json.t }));
    else if (json.type === "close" && sessionId) {
      this.#ack(ws);
      ws.send(JSON.stringify({ type: "closed", v: 1, finalSeq: json.finalSeq }));
    } else if (typeof json.seq === "number" && sessionId) this.#advance(sessionId, json.seq);
  }

  #onOpen(ws: ServerWebSocket<Conn>, open: OpenMessage): void {
    this.opens.push(open);
    ws.data.sessionId = open.sessionId;
    const committed = this.received.get(open.sessionId) ?? 0;
    const fields = this.behaviour.opened(open, committed);
    if (fields === null) return;
    const opened: OpenedMessage = {
      type: "opened",
      v: 1,
      sessionId: open.sessionId,
      nextSeq: committed + 1,
      window: { ...DEFAULT_WINDOW },
      ackIntervalMs: 50,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      replay: { maxRate: 0 },
      ...fields,
    };
    if (opened.nextSeq !== committed + 1) this.received.set(open.sessionId, opened.nextSeq - 1);
    ws.send(JSON.stringify(opened));
  }

  #advance(sessionId: string, seq: number): void {
    const last = this.received.get(sessionId) ?? 0;
    if (seq === last + 1) this.received.set(sessionId, seq);
  }

  #ack(ws: ServerWebSocket<Conn>): void {
    const sessionId = ws.data.sessionId;
    if (sessionId) ws.send(JSON.stringify({ type: "ack", v: 1, seq: this.received.get(sessionId) ?? 0 }));
  }
}
