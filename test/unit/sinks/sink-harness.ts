import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../../src/lib/index.ts";
import {
  createSinkDispatcher,
  type SinkDispatcher,
  type SinkDispatcherOptions,
  type SinkUnitStatus,
  type WebSocketSinkConfig,
} from "../../../src/sinks/index.ts";
import { openSqliteSpool, type Spool } from "../../../src/spool/index.ts";
import { type EaspReceiver, type SessionFile, startEaspReceiver } from "../../../src/tools/receive/index.ts";
import { readWav, type WavContent } from "../../helpers/wav-reader.ts";

/** A dispatcher, a real SQLite spool (in memory) and a real receiver on 127.0.0.1, wired for one test. */
export class SinkHarness {
  readonly outDir = mkdtempSync(join(tmpdir(), "easp-sink-"));
  /** Folder of a file spool (see the constructor). */
  readonly spoolDir = mkdtempSync(join(tmpdir(), "easp-spool-"));
  spool: Spool;
  readonly done: SinkUnitStatus[] = [];
  readonly disconnects: string[] = [];
  readonly connects: SinkUnitStatus[] = [];
  readonly caughtUp: SinkUnitStatus[] = [];
  readonly alarms: Array<{ unit: SinkUnitStatus; code: string; message: string }> = [];
  receiver: EaspReceiver | undefined;
  dispatcher: SinkDispatcher | undefined;

  readonly #spoolPath: string;

  /** `spoolPath`: a file name in the harness's spool folder (for tests that reopen it), else in memory. */
  constructor(spoolPath?: string) {
    this.#spoolPath = spoolPath ? join(this.spoolDir, spoolPath) : ":memory:";
    this.spool = openSqliteSpool({ path: this.#spoolPath, commitIntervalMs: 20 });
  }

  /** A restart: closes the dispatcher and the (file) spool, and opens the spool again. */
  async restart(): Promise<Spool> {
    await this.dispatcher?.close();
    this.dispatcher = undefined;
    this.spool.close();
    this.spool = openSqliteSpool({ path: this.#spoolPath, commitIntervalMs: 20 });
    return this.spool;
  }

  /** Starts the receiver (on `port`, 0 = any free one), writing to `outDir` (default: the harness's folder). */
  async startReceiver(
    port = 0,
    options: {
      outDir?: string;
      replayMaxRate?: number;
      window?: { ms: number; bytes: number };
      discardBefore?: string;
    } = {},
  ): Promise<EaspReceiver> {
    this.receiver = await startEaspReceiver({
      host: "127.0.0.1",
      port,
      outDir: options.outDir ?? this.outDir,
      ackIntervalMs: 50,
      ...(options.replayMaxRate !== undefined ? { replayMaxRate: options.replayMaxRate } : {}),
      ...(options.window ? { window: options.window } : {}),
      ...(options.discardBefore !== undefined ? { discardBefore: options.discardBefore } : {}),
    });
    return this.receiver;
  }

  /** Stops the receiver (the port stays known for a restart). */
  async stopReceiver(): Promise<void> {
    await this.receiver?.close();
  }

  /**
   * Creates the dispatcher with one sink named `ai` pointing at `port`, followed by `extraSinks`
   * (see {@link sinkConfig}).
   */
  startDispatcher(
    port: number,
    sink: Pick<WebSocketSinkConfig, "mode" | "format"> & Partial<WebSocketSinkConfig>,
    options: { clock?: Clock; extraSinks?: WebSocketSinkConfig[] } & Partial<
      Pick<SinkDispatcherOptions, "backoff" | "random" | "recoveryConcurrency" | "explicitRouting">
    > = {},
  ): SinkDispatcher {
    const { extraSinks = [], ...rest } = options;
    const dispatcher = createSinkDispatcher({
      sinks: [sinkConfig("ai", port, sink), ...extraSinks],
      spool: this.spool,
      applianceId: "edge-test",
      version: "0.0.0-test",
      backoff: { initialMs: 20, maxMs: 200 },
      ...rest,
    });
    dispatcher.on("unitdone", (unit) => this.done.push(unit));
    dispatcher.on("unitdisconnected", (_unit, reason) => this.disconnects.push(reason));
    dispatcher.on("unitconnected", (unit) => this.connects.push(unit));
    dispatcher.on("unitcaughtup", (unit) => this.caughtUp.push(unit));
    dispatcher.on("unitalarm", (unit, code, message) => this.alarms.push({ unit, code, message }));
    this.dispatcher = dispatcher;
    return dispatcher;
  }

  /** The WAV a unit's stream was written to. */
  wav(callId: string, sessionId: string, streamId: number, outDir = this.outDir): WavContent {
    return readWav(join(outDir, callId, `${sessionId}-${streamId}.wav`));
  }

  /** The receiver's session file. */
  sessionFile(callId: string, sessionId: string, outDir = this.outDir): SessionFile {
    return JSON.parse(readFileSync(join(outDir, callId, `${sessionId}.json`), "utf8")) as SessionFile;
  }

  /** Unit that finished for `unit` (stream id or `call`). */
  doneUnit(unit: string): SinkUnitStatus {
    const found = this.done.find((u) => u.unit === unit);
    if (!found) throw new Error(`unit ${unit} is not done`);
    return found;
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
    await this.stopReceiver();
    this.spool.close();
    rmSync(this.outDir, { recursive: true, force: true });
    rmSync(this.spoolDir, { recursive: true, force: true });
  }
}

/** A WebSocket sink `name` pointing at the receiver on 127.0.0.1:`port`, as the tests configure it. */
export function sinkConfig(
  name: string,
  port: number,
  sink: Pick<WebSocketSinkConfig, "mode" | "format"> & Partial<WebSocketSinkConfig>,
): WebSocketSinkConfig {
  return {
    name,
    type: "websocket",
    url: `ws://127.0.0.1:${port}/stream`,
    protocol: "easp",
    headers: { Authorization: "Bearer test-token" },
    circuitBreaker: { failures: 5, coolDownMs: 100 },
    ...sink,
  };
}
