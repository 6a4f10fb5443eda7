import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { errorMessage, type Logger, silentLogger } from "../lib/index.ts";
import { CaptureError } from "./errors.ts";
import { PcapRecordBuffer, pcapGlobalHeader, pcapGlobalHeaderBytes } from "./pcap-record-buffer.ts";

/** Options of {@link PcapFileWriter}. */
export interface PcapFileWriterOptions {
  /** Starting size of the in-memory record buffer, bytes. @default 16384 */
  initialBufferBytes?: number;
  /** The buffer is written out before it would grow past this, bytes. @default 1048576 */
  maxBufferBytes?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * A libpcap capture file written while it grows (classic format, µs, LINKTYPE_RAW; see
 * {@link PcapRecordBuffer} for the records). The global header is written when the file is created,
 * and records reach the file only whole, in one `write(2)` per {@link PcapFileWriter.flush}, so the
 * file is a valid capture at every moment (a live call's capture can be read while it grows) and a
 * crash loses at most what was buffered since the last flush. The owner calls `flush` on a timer.
 *
 * Writes are synchronous (`writeSync` into the page cache, ~10–20 µs per flush): the event loop is
 * single-threaded, so a reader on the same process always sees the file end on a record boundary.
 * A failed write (disk full) is logged once and ends the capture: the rest is dropped, what was
 * written stays valid.
 */
export class PcapFileWriter {
  /** The file's path. */
  readonly path: string;
  readonly #records: PcapRecordBuffer;
  readonly #logger: Logger;
  #fd: number | undefined;
  #fileBytes = pcapGlobalHeaderBytes;
  #packets = 0;

  /**
   * Creates (or truncates) the file and writes the global header.
   * @throws CaptureError `CAPTURE_IO` when the file cannot be created or written.
   */
  constructor(path: string, options: PcapFileWriterOptions = {}) {
    this.path = path;
    this.#logger = options.logger ?? silentLogger;
    this.#records = new PcapRecordBuffer(options.initialBufferBytes, options.maxBufferBytes);
    try {
      this.#fd = openSync(path, "w", 0o640);
      writeSync(this.#fd, pcapGlobalHeader());
    } catch (err) {
      if (this.#fd !== undefined) closeSync(this.#fd);
      this.#fd = undefined;
      throw new CaptureError(`cannot create capture ${path}: ${errorMessage(err)}`, path, { cause: err });
    }
  }

  /** Bytes in the file plus bytes buffered. */
  get bytes(): number {
    return this.#fileBytes + this.#records.length;
  }

  /** Bytes in the file (a whole number of records). */
  get fileBytes(): number {
    return this.#fileBytes;
  }

  /** Datagrams written or buffered. */
  get packets(): number {
    return this.#packets;
  }

  /** Whether the file is still written (not closed, no write failure). */
  get open(): boolean {
    return this.#fd !== undefined;
  }

  /**
   * Buffers one UDP datagram (see {@link PcapRecordBuffer.appendUdp}); a full buffer is flushed
   * first. Does nothing once closed. Never throws: a bad address is logged at debug and skipped.
   */
  writeUdp(
    timeUs: number,
    srcAddress: string,
    srcPort: number,
    dstAddress: string,
    dstPort: number,
    payload: Uint8Array,
  ): void {
    if (this.#fd === undefined) return;
    if (!this.#records.fits(payload.length)) this.flush();
    try {
      this.#records.appendUdp(timeUs, srcAddress, srcPort, dstAddress, dstPort, payload);
      this.#packets++;
    } catch (err) {
      this.#logger.debug("datagram not captured", { path: this.path, error: errorMessage(err) });
    }
  }

  /** Writes the buffered records to the file. */
  flush(): void {
    const fd = this.#fd;
    const length = this.#records.length;
    if (fd === undefined || length === 0) return;
    try {
      const written = writeSync(fd, this.#records.take(), 0, length);
      if (written !== length) {
        ftruncateSync(fd, this.#fileBytes);
        throw new Error(`short write (${written} of ${length} bytes)`);
      }
      this.#fileBytes += length;
    } catch (err) {
      this.#logger.warn("capture write failed; the capture ends here", {
        code: "CAPTURE_IO",
        path: this.path,
        error: errorMessage(err),
      });
      this.#closeFd();
    }
    this.#records.clear();
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    this.flush();
    this.#closeFd();
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch (err) {
      this.#logger.debug("capture close failed", { path: this.path, error: errorMessage(err) });
    }
  }
}
