import { SipParseError } from "./errors.ts";
import { asBuffer, defaultMaxMessageBytes, findHeadEnd, type ParsedHead, parseHead } from "./parser.ts";
import type { SipMessage } from "./sip-message.ts";

/** Options of {@link SipStreamParser}. */
export interface SipStreamParserOptions {
  /** Largest accepted message (head + body) in bytes. @default 65535 */
  maxBytes?: number;
  /** Called for each double-CRLF keep-alive ping between messages (RFC 5626 §4.4.1); answer with CRLF. */
  onPing?: () => void;
}

/**
 * Frames SIP messages on a stream transport (TCP/TLS, RFC 3261 §18.3): buffers chunks, skips CRLFs
 * between messages (RFC 3261 §7.5; double-CRLF keep-alives, RFC 5626 §4.4.1), parses the head, then
 * waits for exactly Content-Length body bytes (Content-Length is mandatory on streams).
 *
 * After a `SipParseError` the buffered bytes are unusable: call {@link SipStreamParser.reset} (or
 * close the connection), since a stream cannot be resynchronised reliably.
 */
export class SipStreamParser {
  readonly #maxBytes: number;
  readonly #onPing: (() => void) | undefined;
  // Buffered bytes live in #buf[#start, #end).
  #buf = new Uint8Array(4096);
  #start = 0;
  #end = 0;
  // Where the blank-line scan resumes (avoids rescanning a partial head).
  #scanFrom = 0;
  // Head of the current message, once parsed, while its body arrives (frameStart: its first byte).
  #head: (ParsedHead & { bodyStart: number; frameStart: number }) | undefined;
  // The bytes of the message `next()` returned last live in #buf[#frameStart, #frameEnd).
  #frameStart = 0;
  #frameEnd = 0;
  // Consecutive CRLFs seen between messages (for ping detection).
  #crlfRun = 0;

  /** Creates a parser for one connection. */
  constructor(options: SipStreamParserOptions = {}) {
    this.#maxBytes = options.maxBytes ?? defaultMaxMessageBytes;
    this.#onPing = options.onPing;
  }

  /** Bytes buffered and not yet returned as a message. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Adds a chunk and returns every message it completes (possibly none, possibly several).
   * @throws SipParseError (SIP_PARSE) on a bad head, a missing Content-Length, or a message over
   *   `maxBytes`; the offset is relative to the start of that message.
   */
  push(chunk: Uint8Array): SipMessage[] {
    this.append(chunk);
    const out: SipMessage[] = [];
    for (let message = this.next(); message; message = this.next()) out.push(message);
    return out;
  }

  /** Adds a chunk without framing it (use with {@link SipStreamParser.next}). */
  append(chunk: Uint8Array): void {
    this.#append(chunk);
  }

  /**
   * Returns the next complete message, or `undefined` when more bytes are needed. Lets a transport
   * deliver the messages before a bad one in the same chunk.
   * @throws SipParseError (SIP_PARSE) as {@link SipStreamParser.push}.
   */
  next(): SipMessage | undefined {
    return this.#next();
  }

  /**
   * The bytes of the message {@link SipStreamParser.next} returned last, exactly as framed (no
   * CRLFs before it): a view valid until the next `append`/`push` (copy it to keep it).
   */
  lastFrame(): Uint8Array {
    return this.#buf.subarray(this.#frameStart, this.#frameEnd);
  }

  /** The bytes buffered and not returned as a message (e.g. the unparseable rest after a `SipParseError`): a view valid until the next `append`. */
  pending(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  /** Drops `n` buffered bytes (or all) and any partly parsed message, e.g. to skip garbage. */
  discard(n: number = this.buffered): void {
    this.#start = Math.min(this.#end, this.#start + n);
    this.#scanFrom = this.#start;
    this.#head = undefined;
    this.#crlfRun = 0;
  }

  /** Forgets everything buffered (a fresh state for a recovered or reused connection). */
  reset(): void {
    this.discard();
    this.#start = 0;
    this.#end = 0;
    this.#scanFrom = 0;
  }

  #next(): SipMessage | undefined {
    if (!this.#head && !this.#readHead()) return undefined;
    const head = this.#head;
    if (!head) return undefined;
    const length = head.contentLength ?? 0;
    if (head.bodyStart + length > this.#start + this.#maxBytes) {
      this.#fail(`message exceeds ${this.#maxBytes} bytes`, this.#maxBytes);
    }
    if (this.#end - head.bodyStart < length) return undefined;
    head.message.body = this.#buf.slice(head.bodyStart, head.bodyStart + length);
    this.#frameStart = head.frameStart;
    this.#frameEnd = head.bodyStart + length;
    this.#start = head.bodyStart + length;
    this.#scanFrom = this.#start;
    this.#head = undefined;
    return head.message;
  }

  #readHead(): boolean {
    this.#skipCrlf();
    if (this.#start === this.#end) return false;
    const bodyStart = findHeadEnd(this.#buf, Math.max(this.#start, this.#scanFrom), this.#end);
    if (bodyStart < 0) {
      if (this.#end - this.#start > this.#maxBytes)
        this.#fail("head exceeds the message size limit", this.#maxBytes);
      this.#scanFrom = Math.max(this.#start, this.#end - 3);
      return false;
    }
    const start = this.#start;
    const head = parseHead(asBuffer(this.#buf).toString("latin1", start, bodyStart), 0);
    if (head.contentLength === undefined) {
      this.#fail("Content-Length is required on stream transports (RFC 3261 §18.3)", bodyStart - start);
    }
    this.#head = { ...head, bodyStart, frameStart: start };
    return true;
  }

  #skipCrlf(): void {
    while (this.#start < this.#end) {
      const byte = this.#buf[this.#start];
      if (byte === 0x0a) {
        this.#crlfRun++;
        if (this.#crlfRun % 2 === 0) this.#onPing?.();
      } else if (byte !== 0x0d) {
        break;
      }
      this.#start++;
    }
    if (this.#start < this.#end) this.#crlfRun = 0;
  }

  #fail(message: string, offset: number): never {
    throw new SipParseError(message, offset);
  }

  #append(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buf.length) {
      const live = this.#end - this.#start;
      const shift = this.#start;
      if (live + chunk.length > this.#buf.length) {
        const grown = new Uint8Array(Math.max(this.#buf.length * 2, live + chunk.length));
        grown.set(this.#buf.subarray(this.#start, this.#end), 0);
        this.#buf = grown;
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = live;
      this.#scanFrom = Math.max(0, this.#scanFrom - shift);
      if (this.#head) {
        this.#head.bodyStart -= shift;
        this.#head.frameStart -= shift;
      }
      this.#frameStart = 0;
      this.#frameEnd = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}
