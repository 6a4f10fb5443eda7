import { EASP_SUBPROTOCOL, EaspCloseCode, parseServerMessage, type ServerMessage } from "../easp/index.ts";
import { type Clock, errorMessage, type TimerHandle } from "../lib/index.ts";
import { Liveness } from "./liveness.ts";

/** How long a server gets to answer `open`, ms. */
const OPEN_TIMEOUT_MS = 10_000;

/** What an {@link EaspConnection} reports to its unit. */
export interface ConnectionHandler {
  /** The upgrade succeeded with subprotocol `easp.v1`: the unit sends `open`. */
  ready(): void;
  /** A valid server message (`error` and server `close` are also kept in {@link EaspConnection.error}). */
  message(message: ServerMessage): void;
  /** Something went wrong on the connection (kept as the unit's last error). */
  problem(text: string): void;
  /** The socket closed (not reported after {@link EaspConnection.detach}). */
  closed(code: number, reason: string): void;
}

/** The receiver's JSON `error` / `close` on one connection (EASP.md §7 "error then close"). */
export interface ReceiverVerdict {
  /** `error.code`, if an error came. */
  code: number | undefined;
  /** `retryAfterMs` of the error or of the server's `close`. */
  retryAfterMs: number | undefined;
  /** `error.fatal`. */
  fatal: boolean;
}

/**
 * One WebSocket of an EASP/1 session (EASP.md §2, §5): dials with subprotocol `easp.v1` and the
 * EASP headers, insists the server selected it (else closes 1002), parses text messages (a bad one
 * is answered with `error{4000}`), gives the server 10 s to answer `open`, and keeps the
 * connection alive once opened: `ping` every 5 s (dead after two unanswered: close 4408) and `sync`
 * when items wait for an ack longer than 3 × `ackIntervalMs`.
 */
export class EaspConnection {
  /** The socket (binary type `arraybuffer`). */
  readonly ws: WebSocket;
  /** What the receiver said before closing, if anything. */
  readonly error: ReceiverVerdict = { code: undefined, retryAfterMs: undefined, fatal: false };
  readonly #clock: Clock;
  readonly #handler: ConnectionHandler;
  readonly #liveness = new Liveness();
  #detached = false;
  #openTimer: TimerHandle | undefined;
  #ticker: TimerHandle | undefined;
  #waitingForAck: () => boolean = () => false;

  /** @throws SyntaxError (or TypeError) when the URL cannot be dialled at all. */
  constructor(url: string, headers: Record<string, string>, clock: Clock, handler: ConnectionHandler) {
    this.#clock = clock;
    this.#handler = handler;
    const ws = new WebSocket(url, { protocols: [EASP_SUBPROTOCOL], headers });
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      if (!this.#detached) this.#onOpen();
    };
    ws.onmessage = (event) => {
      if (!this.#detached) this.#onMessage(event.data);
    };
    ws.onclose = (event) => {
      this.#stopTimers();
      if (!this.#detached) this.#handler.closed(event.code, event.reason);
    };
  }

  /** Sends a JSON message. */
  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Closes the socket; the close is still reported. */
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Stops reporting anything and closes the socket (the unit is done with it). */
  detach(code: number, reason: string): void {
    this.#detached = true;
    this.#stopTimers();
    this.ws.close(code, reason);
  }

  /** `opened` arrived at `now` (ms): starts the keep-alive at the receiver's ack interval. */
  opened(now: number, ackIntervalMs: number, waitingForAck: () => boolean): void {
    this.#clock.clearTimer(this.#openTimer);
    this.#openTimer = undefined;
    this.#waitingForAck = waitingForAck;
    this.#liveness.start(now, ackIntervalMs);
    this.#ticker = this.#clock.setInterval(this.#tick, ackIntervalMs);
  }

  /** An ack arrived at `now` (ms). */
  acked(now: number): void {
    this.#liveness.acked(now);
  }

  #onOpen(): void {
    if (this.ws.protocol !== EASP_SUBPROTOCOL) {
      this.#handler.problem(
        `SINK_PROTOCOL: server selected subprotocol "${this.ws.protocol}", not ${EASP_SUBPROTOCOL}`,
      );
      this.ws.close(EaspCloseCode.SubprotocolMismatch, "easp.v1 required");
      return;
    }
    this.#openTimer = this.#clock.setTimeout(this.#onOpenTimeout, OPEN_TIMEOUT_MS);
    this.#handler.ready();
  }

  #onMessage(data: unknown): void {
    if (typeof data !== "string") return;
    let message: ServerMessage | null;
    try {
      message = parseServerMessage(data);
    } catch (err) {
      this.#handler.problem(`SINK_PROTOCOL: ${errorMessage(err)}`);
      this.send({ type: "error", v: 1, code: EaspCloseCode.ProtocolError, message: errorMessage(err) });
      return;
    }
    this.#liveness.heard();
    if (!message) return;
    if (message.type === "error") {
      this.error.code = message.code;
      this.error.retryAfterMs = message.retryAfterMs;
      this.error.fatal = message.fatal === true;
    } else if (message.type === "close") {
      if (message.retryAfterMs !== undefined) this.error.retryAfterMs = message.retryAfterMs;
      this.ws.close(EaspCloseCode.Normal, "server close");
      return;
    }
    this.#handler.message(message);
  }

  readonly #onOpenTimeout = (): void => {
    this.#openTimer = undefined;
    this.#handler.problem("no `opened` within 10 s");
    this.ws.close(EaspCloseCode.PingTimeout, "no opened");
  };

  readonly #tick = (): void => {
    const action = this.#liveness.check(this.#clock.now(), this.#waitingForAck());
    if (action === "dead") {
      this.#handler.problem("no answer to two pings");
      this.ws.close(EaspCloseCode.PingTimeout, "no pong");
    } else if (action === "ping") {
      this.send({ type: "ping", v: 1, t: Math.round(this.#clock.now()) });
    } else if (action === "sync") {
      this.send({ type: "sync", v: 1 });
    }
  };

  #stopTimers(): void {
    this.#clock.clearTimer(this.#openTimer);
    this.#clock.clearTimer(this.#ticker);
    this.#openTimer = undefined;
    this.#ticker = undefined;
  }
}
