import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type Clock,
  errorMessage,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
} from "../lib/index.ts";
import { CallCaptureFile } from "./call-capture-file.ts";
import type { CallCapture, CallCaptureOpener } from "./capture-types.ts";
import { CaptureError } from "./errors.ts";
import { PcapFileWriter } from "./pcap-file-writer.ts";
import type { SipMessageRing } from "./sip-message-ring.ts";

/** Call ids a capture file may be named after (UUIDv7 and other plain tokens): nothing that can leave the folder. */
const callIdPattern = /^[A-Za-z0-9_-]{1,128}$/;
const fileSuffix = ".pcap";

/** Options of {@link CaptureStore}. */
export interface CaptureStoreOptions {
  /** Folder of the capture files (`<callId>.pcap`); created when missing. */
  dir: string;
  /** Captures of ended calls are deleted oldest first while all captures together exceed this, bytes. */
  maxBytes: number;
  /** Recent SIP messages; a new capture starts with those of its Call-ID. */
  ring?: SipMessageRing;
  /** How often open captures are written out, ms (what a crash may lose at most). @default 500 */
  flushIntervalMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

/** What one {@link CaptureStore.sweep} did. */
export interface CaptureSweepResult {
  /** Capture files deleted. */
  deleted: number;
  /** Bytes they held. */
  bytesFreed: number;
  /** Bytes of every capture left (open ones included). */
  bytes: number;
}

interface FileInfo {
  callId: string;
  path: string;
  bytes: number;
  mtimeMs: number;
}

/**
 * The per-call captures on disk (DESIGN.md §3, §6): one libpcap file per call, `<dir>/<callId>.pcap`,
 * with the SIP messages and the RTP/RTCP datagrams the appliance received for it (and the SIP it
 * sent). Open captures are flushed every `flushIntervalMs`; files left by a crash are valid
 * captures (the process dies between whole-record writes), only the last interval is missing, and
 * they are served and swept like any other. The owner runs {@link CaptureStore.sweep} after the
 * spool purges, so captures live as long as their calls do in the spool, within `maxBytes`.
 */
export class CaptureStore implements CallCaptureOpener {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #ring: SipMessageRing | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #byCallId = new Map<string, CallCaptureFile>();
  readonly #bySipCallId = new Map<string, CallCaptureFile>();
  readonly #timer: TimerHandle;
  #closed = false;

  /** Creates the folder and starts the flush timer. @throws CaptureError `CAPTURE_IO` when the folder cannot be created. */
  constructor(options: CaptureStoreOptions) {
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes;
    this.#ring = options.ring;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o750 });
    } catch (err) {
      throw new CaptureError(`cannot create capture folder ${this.#dir}: ${errorMessage(err)}`, this.#dir, {
        cause: err,
      });
    }
    this.#timer = this.#clock.setInterval(() => this.flush(), options.flushIntervalMs ?? 500);
  }

  /** The folder of the capture files. */
  get dir(): string {
    return this.#dir;
  }

  /** Captures being written. */
  get openCount(): number {
    return this.#byCallId.size;
  }

  open(callId: string, sipCallId: string, options: { localAddress?: string } = {}): CallCapture | undefined {
    if (this.#closed || !callIdPattern.test(callId)) return undefined;
    this.#byCallId.get(callId)?.close();
    let writer: PcapFileWriter;
    try {
      writer = new PcapFileWriter(this.#fileOf(callId), { logger: this.#logger });
    } catch (err) {
      this.#logger.warn("call capture not started", { code: "CAPTURE_IO", callId, error: errorMessage(err) });
      return undefined;
    }
    const capture = new CallCaptureFile({
      callId,
      sipCallId,
      writer,
      localAddress: options.localAddress,
      clock: this.#clock,
      onClose: (closed) => this.#forget(closed),
    });
    this.#byCallId.set(callId, capture);
    if (sipCallId !== "") this.#bySipCallId.set(sipCallId, capture);
    for (const m of this.#ring?.messagesOf(sipCallId) ?? []) capture.sip(m, m.timeUs);
    return capture;
  }

  /** The open capture of a SIP Call-ID (the latest one when a Call-ID was reused). */
  find(sipCallId: string): CallCapture | undefined {
    return this.#bySipCallId.get(sipCallId);
  }

  /**
   * The capture file of a call, open (what is flushed so far) or finished; undefined for an unknown
   * call or an id that is not a plain token.
   */
  path(callId: string): string | undefined {
    if (!callIdPattern.test(callId)) return undefined;
    const live = this.#byCallId.get(callId);
    if (live) return live.path;
    const path = this.#fileOf(callId);
    try {
      return statSync(path).isFile() ? path : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes every open capture's buffered records to its file (also run by the flush timer). */
  flush(): void {
    for (const capture of this.#byCallId.values()) capture.flush();
  }

  /**
   * Deletes the captures of ended calls that `keep` no longer wants (the spool purged them), then,
   * while all captures exceed `maxBytes`, the oldest ended ones (by last write). Open captures are
   * never deleted.
   */
  sweep(keep: (callId: string) => boolean): CaptureSweepResult {
    const result: CaptureSweepResult = { deleted: 0, bytesFreed: 0, bytes: 0 };
    const ended: FileInfo[] = [];
    for (const file of this.#list()) {
      const live = this.#byCallId.get(file.callId);
      if (live) {
        result.bytes += Math.max(file.bytes, live.bytes);
      } else if (!keep(file.callId)) {
        this.#delete(file, result);
      } else {
        ended.push(file);
        result.bytes += file.bytes;
      }
    }
    ended.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const file of ended) {
      if (result.bytes <= this.#maxBytes) break;
      result.bytes -= file.bytes;
      this.#delete(file, result);
    }
    if (result.deleted > 0) this.#logger.info("call captures deleted", { ...result });
    return result;
  }

  /** Stops the timer and closes every open capture. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.clearTimer(this.#timer);
    for (const capture of [...this.#byCallId.values()]) capture.close();
  }

  #fileOf(callId: string): string {
    return join(this.#dir, `${callId}${fileSuffix}`);
  }

  #forget(capture: CallCaptureFile): void {
    if (this.#byCallId.get(capture.callId) === capture) this.#byCallId.delete(capture.callId);
    if (this.#bySipCallId.get(capture.sipCallId) === capture) this.#bySipCallId.delete(capture.sipCallId);
  }

  #list(): FileInfo[] {
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch (err) {
      this.#logger.warn("capture folder unreadable", { code: "CAPTURE_IO", error: errorMessage(err) });
      return [];
    }
    const out: FileInfo[] = [];
    for (const name of names) {
      if (!name.endsWith(fileSuffix)) continue;
      const callId = name.slice(0, -fileSuffix.length);
      if (!callIdPattern.test(callId)) continue;
      const path = join(this.#dir, name);
      try {
        const stat = statSync(path);
        if (stat.isFile()) out.push({ callId, path, bytes: stat.size, mtimeMs: stat.mtimeMs });
      } catch {
        // Deleted meanwhile.
      }
    }
    return out;
  }

  #delete(file: FileInfo, result: CaptureSweepResult): void {
    try {
      rmSync(file.path, { force: true });
      result.deleted++;
      result.bytesFreed += file.bytes;
    } catch (err) {
      this.#logger.warn("call capture not deleted", {
        code: "CAPTURE_IO",
        path: file.path,
        error: errorMessage(err),
      });
    }
  }
}
