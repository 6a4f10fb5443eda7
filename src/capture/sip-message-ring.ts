import type { SipWireMessage, WireDirection, WireEndpoint } from "./capture-types.ts";

/** One SIP message kept by {@link SipMessageRing}. */
export interface RingedSipMessage {
  /** When it was received or sent, µs since the Unix epoch. */
  timeUs: number;
  /** Received or sent. */
  direction: WireDirection;
  /** Transport (`udp`, `tcp`, `tls`). */
  transport: string;
  /** Our socket. */
  local: WireEndpoint;
  /** The peer. */
  remote: WireEndpoint;
  /** Its Call-ID, empty when it had none. */
  sipCallId: string;
  /** A copy of its bytes. */
  bytes: Uint8Array;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

function endpoint(e: WireEndpoint): string {
  return e.address.includes(":") ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** ISO-8601 UTC with microseconds, e.g. `2025-01-31T12:00:00.123456Z`. */
function isoMicros(timeUs: number): string {
  const ms = Math.floor(timeUs / 1000);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(Math.floor(timeUs) % 1000).padStart(3, "0")}Z`;
}

/**
 * The header line of one message in {@link SipMessageRing.render}:
 * `=== <time> <IN|OUT> <transport> <src> -> <dst> (<n> bytes)`.
 */
export function formatSipMessageHeader(m: RingedSipMessage): string {
  const [src, dst] = m.direction === "in" ? [m.remote, m.local] : [m.local, m.remote];
  return `=== ${isoMicros(m.timeUs)} ${m.direction.toUpperCase()} ${m.transport.toUpperCase()} ${endpoint(src)} -> ${endpoint(dst)} (${m.bytes.length} bytes)`;
}

/**
 * The last N SIP messages received and sent (both directions, parseable or not), for
 * `GET /api/sip/messages` and the diagnostics bundle, and for a call's capture to start with the
 * messages that came before the call existed (its INVITE and our 100 Trying). Keeps copies.
 */
export class SipMessageRing {
  readonly #slots: (RingedSipMessage | undefined)[];
  #next = 0;
  #count = 0;

  /** @param capacity messages kept (0 keeps none). @throws RangeError for a negative or fractional capacity. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new RangeError(`ring capacity ${capacity} is not a count`);
    this.#slots = new Array<RingedSipMessage | undefined>(capacity);
  }

  /** Messages held. */
  get size(): number {
    return this.#count;
  }

  /** Keeps a copy of `message` (received or sent at `timeUs`) with its Call-ID, dropping the oldest when full. */
  push(message: SipWireMessage, sipCallId: string, timeUs: number): void {
    if (this.capacity === 0) return;
    this.#slots[this.#next] = {
      timeUs,
      direction: message.direction,
      transport: message.transport,
      local: { address: message.local.address, port: message.local.port },
      remote: { address: message.remote.address, port: message.remote.port },
      sipCallId,
      bytes: message.bytes.slice(),
    };
    this.#next = (this.#next + 1) % this.capacity;
    this.#count = Math.min(this.#count + 1, this.capacity);
  }

  /** The messages held, oldest first. */
  messages(): RingedSipMessage[] {
    const out: RingedSipMessage[] = [];
    const start = (this.#next - this.#count + this.capacity) % Math.max(1, this.capacity);
    for (let i = 0; i < this.#count; i++) {
      const m = this.#slots[(start + i) % this.capacity];
      if (m) out.push(m);
    }
    return out;
  }

  /** The messages of one Call-ID, oldest first. */
  messagesOf(sipCallId: string): RingedSipMessage[] {
    return sipCallId === "" ? [] : this.messages().filter((m) => m.sipCallId === sipCallId);
  }

  /**
   * The messages as text, oldest first: per message a {@link formatSipMessageHeader} line, then the
   * message as received or sent (decoded as UTF-8), then an empty line.
   */
  render(): string {
    return this.messages()
      .map((m) => `${formatSipMessageHeader(m)}\n${decoder.decode(m.bytes)}\n`)
      .join("\n");
  }
}
