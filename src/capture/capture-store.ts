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

/** What one {@link CaptureStore.reconcile} did. */
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

/** A finished capture kept on disk. */
interface FinishedCapture {
  path: string;
  bytes: number;
}

/**
 * The per-call captures on disk (DESIGN.md §3, §6): one libpcap file per call, `<dir>/<callId>.pcap`,
 * with the SIP messages and the RTP/RTCP datagrams the appliance received for it (and the SIP it
 * sent). Open captures are flushed every `flushIntervalMs`; files left by a crash are valid
 * captures (the process dies between whole-record writes), only the last interval is missing, and
 * they are served and deleted like any other.
 *
 * Captures live as long as their calls do in the spool, within `maxBytes`: the owner lists the folder
 * once at start ({@link CaptureStore.reconcile}) and then hands over the calls each spool purge
 * removed ({@link CaptureStore.remove}). Finished captures are indexed in memory, oldest first, so
 * neither the byte cap (checked when a capture closes) nor a purge ever lists or stats the folder
 * on the event loop: with a day of calls that is tens of thousands of files.
 */
export class CaptureStore implements CallCaptureOpener {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #ring: SipMessageRing | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #byCallId = new Map<string, CallCaptureFile>();
  readonly #bySipCallId = new Map<string, CallCaptureFile>();
  /** Finished captures by call id, in the order they finished (oldest first). */
  readonly #finished = new Map<string, FinishedCapture>();
  #finishedBytes = 0;
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
    this.#dropFinished(callId);
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
      onClose: (closed) => this.#finish(closed),
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
   * Takes stock of the folder (once, at start): deletes the captures of calls `keep` no longer wants
   * (the spool purged them while we were down, or a crash left them), indexes the rest oldest first
   * (by last write), then deletes the oldest while all captures exceed `maxBytes`. Open captures are
   * never deleted.
   */
  reconcile(keep: (callId: string) => boolean): CaptureSweepResult {
    const result: CaptureSweepResult = { deleted: 0, bytesFreed: 0, bytes: 0 };
    const ended: FileInfo[] = [];
    for (const file of this.#list()) {
      if (this.#byCallId.has(file.callId)) continue;
      if (keep(file.callId)) ended.push(file);
      else this.#delete(file.path, file.bytes, result);
    }
    ended.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const file of ended) this.#index(file.callId, { path: file.path, bytes: file.bytes });
    this.#enforceCap(result);
    result.bytes = this.#totalBytes();
    if (result.deleted > 0) this.#logger.info("call captures deleted", { ...result });
    return result;
  }

  /** Deletes the finished captures of these calls (the spool purged them); open ones are kept. */
  remove(callIds: readonly string[]): CaptureSweepResult {
    const result: CaptureSweepResult = { deleted: 0, bytesFreed: 0, bytes: 0 };
    for (const callId of callIds) {
      const finished = this.#finished.get(callId);
      if (!finished) continue;
      this.#dropFinished(callId);
      this.#delete(finished.path, finished.bytes, result);
    }
    result.bytes = this.#totalBytes();
    if (result.deleted > 0) this.#logger.debug("call captures of purged calls deleted", { ...result });
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

  /** A capture closed: it joins the finished ones, and the oldest go while the cap is passed. */
  #finish(capture: CallCaptureFile): void {
    if (this.#byCallId.get(capture.callId) === capture) this.#byCallId.delete(capture.callId);
    if (this.#bySipCallId.get(capture.sipCallId) === capture) this.#bySipCallId.delete(capture.sipCallId);
    this.#index(capture.callId, { path: capture.path, bytes: capture.bytes });
    if (this.#closed) return;
    const result: CaptureSweepResult = { deleted: 0, bytesFreed: 0, bytes: 0 };
    this.#enforceCap(result);
    if (result.deleted > 0)
      this.#logger.info("oldest call captures deleted: capture.max_bytes reached", { ...result });
  }

  #index(callId: string, finished: FinishedCapture): void {
    this.#dropFinished(callId);
    this.#finished.set(callId, finished);
    this.#finishedBytes += finished.bytes;
  }

  #dropFinished(callId: string): void {
    const finished = this.#finished.get(callId);
    if (!finished) return;
    this.#finished.delete(callId);
    this.#finishedBytes -= finished.bytes;
  }

  #totalBytes(): number {
    let bytes = this.#finishedBytes;
    for (const capture of this.#byCallId.values()) bytes += capture.bytes;
    return bytes;
  }

  /** Deletes the oldest finished captures while all captures together exceed `maxBytes`. */
  #enforceCap(result: CaptureSweepResult): void {
    let total = this.#totalBytes();
    for (const [callId, oldest] of this.#finished) {
      if (total <= this.#maxBytes) break;
      this.#dropFinished(callId);
      this.#delete(oldest.path, oldest.bytes, result);
      total -= oldest.bytes;
    }
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

  #delete(path: string, bytes: number, result: CaptureSweepResult): void {
    try {
      rmSync(path, { force: true });
      result.deleted++;
      result.bytesFreed += bytes;
    } catch (err) {
      this.#logger.warn("call capture not deleted", {
        code: "CAPTURE_IO",
        path,
        error: errorMessage(err),
      });
    }
  }
}
