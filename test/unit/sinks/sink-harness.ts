import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createSinkDispatcher,
  type SinkDispatcher,
  type SinkUnitStatus,
  type WebSocketSinkConfig,
} from "../../../src/sinks/index.ts";
import { openSqliteSpool, type Spool } from "../../../src/spool/index.ts";
import { type EaspReceiver, type SessionFile, startEaspReceiver } from "../../../src/tools/receive/index.ts";
import { readWav, type WavContent } from "../../helpers/wav-reader.ts";

/** A dispatcher, a real SQLite spool (in memory) and a real receiver on 127.0.0.1, wired for one test. */
export class SinkHarness {
  readonly outDir = mkdtempSync(join(tmpdir(), "easp-sink-"));
  readonly spool: Spool = openSqliteSpool({ path: ":memory:", commitIntervalMs: 20 });
  readonly done: SinkUnitStatus[] = [];
  readonly disconnects: string[] = [];
  receiver: EaspReceiver | undefined;
  dispatcher: SinkDispatcher | undefined;

  /** Starts the receiver (on `port`, 0 = any free one). */
  async startReceiver(port = 0): Promise<EaspReceiver> {
    this.receiver = await startEaspReceiver({
      host: "127.0.0.1",
      port,
      outDir: this.outDir,
      ackIntervalMs: 50,
    });
    return this.receiver;
  }

  /** Stops the receiver (the port stays known for a restart). */
  async stopReceiver(): Promise<void> {
    await this.receiver?.close();
  }

  /** Creates the dispatcher with one sink named `ai` pointing at `port`. */
  startDispatcher(
    port: number,
    sink: Pick<WebSocketSinkConfig, "mode" | "format"> & Partial<WebSocketSinkConfig>,
  ): SinkDispatcher {
    const config: WebSocketSinkConfig = {
      name: "ai",
      type: "websocket",
      url: `ws://127.0.0.1:${port}/stream`,
      protocol: "easp",
      headers: { Authorization: "Bearer test-token" },
      ...sink,
    };
    const dispatcher = createSinkDispatcher({
      sinks: [config],
      spool: this.spool,
      applianceId: "edge-test",
      version: "0.0.0-test",
      backoff: { initialMs: 20, maxMs: 200 },
    });
    dispatcher.on("unitdone", (unit) => this.done.push(unit));
    dispatcher.on("unitdisconnected", (_unit, reason) => this.disconnects.push(reason));
    this.dispatcher = dispatcher;
    return dispatcher;
  }

  /** The WAV a unit's stream was written to. */
  wav(callId: string, sessionId: string, streamId: number): WavContent {
    return readWav(join(this.outDir, callId, `${sessionId}-${streamId}.wav`));
  }

  /** The receiver's session file. */
  sessionFile(callId: string, sessionId: string): SessionFile {
    return JSON.parse(readFileSync(join(this.outDir, callId, `${sessionId}.json`), "utf8")) as SessionFile;
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
  }
}
