import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPortPool, type PortPool } from "../../../../src/media/index.ts";
import {
  createSiprecForwarder,
  type ForwardInfo,
  type ForwardStopReason,
  type SiprecForwarder,
  type SiprecForwarderOptions,
  type SiprecSinkConfig,
} from "../../../../src/sinks/index.ts";
import { createSipStack, type SipStack, type SipTlsOptions } from "../../../../src/sip/index.ts";
import { openSqliteSpool, type Spool } from "../../../../src/spool/index.ts";

/** A sink towards `uri` as the tests configure it (PCMU, no pings, no session timer, unpaced replays). */
export function sinkConfig(
  name: string,
  uri: string,
  overrides: Partial<SiprecSinkConfig> = {},
): SiprecSinkConfig {
  return {
    name,
    uri,
    codec: "PCMU",
    xHeaders: {},
    optionsPingMs: 0,
    sessionExpiresS: 0,
    replay: { maxRate: 0, maxConcurrent: 2 },
    ...overrides,
  };
}

/** An RTP port range of 200 ports below the Linux ephemeral range, random per test (parallel test files). */
function randomPortRange(): [number, number] {
  const first = 10_000 + 2 * Math.floor(Math.random() * 10_000);
  return [first, first + 199];
}

/**
 * The forwarder under test with what it needs for real: a SQLite spool (in memory, or a file for
 * restarts), our SIP stack on 127.0.0.1 (UDP; TLS client settings when given) with a short T1, a port
 * pool, and the events it emitted.
 */
export class ForwardHarness {
  readonly dir = mkdtempSync(join(tmpdir(), "siprec-forward-"));
  spool: Spool;
  sip: SipStack;
  readonly ports: PortPool = createPortPool(randomPortRange());
  forwarder: SiprecForwarder | undefined;
  readonly started: ForwardInfo[] = [];
  readonly failed: Array<ForwardInfo & { status: number; reason: string }> = [];
  readonly stopped: Array<ForwardInfo & { reason: ForwardStopReason }> = [];
  readonly #spoolPath: string;

  private constructor(sip: SipStack, file: boolean) {
    this.sip = sip;
    this.#spoolPath = file ? join(this.dir, "spool.db") : ":memory:";
    this.spool = openSqliteSpool({ path: this.#spoolPath, commitIntervalMs: 20 });
  }

  /** Starts the stack; `file` keeps the spool in a file (for restarts). */
  static async start(
    options: { file?: boolean; tls?: SipTlsOptions; t1?: number } = {},
  ): Promise<ForwardHarness> {
    const sip = createSipStack({
      listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }],
      timers: { t1: options.t1 ?? 20 },
      ...(options.tls ? { tls: options.tls } : {}),
    });
    await sip.start();
    return new ForwardHarness(sip, options.file ?? false);
  }

  /** Creates the forwarder over the spool and stack, recording its events. */
  createForwarder(sinks: SiprecSinkConfig[], options: Partial<SiprecForwarderOptions> = {}): SiprecForwarder {
    const forwarder = createSiprecForwarder({
      sinks,
      sip: this.sip,
      spool: this.spool,
      ports: this.ports,
      mediaAddress: "127.0.0.1",
      applianceId: "edge-test",
      version: "0.0.0-test",
      backoff: { initialMs: 100, maxMs: 400 },
      checkpointMs: 50,
      ...options,
    });
    forwarder.on("started", (info) => this.started.push(info));
    forwarder.on("failed", (info) => this.failed.push(info));
    forwarder.on("stopped", (info) => this.stopped.push(info));
    this.forwarder = forwarder;
    return forwarder;
  }

  /** A restart: closes the forwarder and the (file) spool, and opens the spool again. */
  async restart(): Promise<Spool> {
    await this.forwarder?.close();
    this.forwarder = undefined;
    this.spool.close();
    this.spool = openSqliteSpool({ path: this.#spoolPath, commitIntervalMs: 20 });
    return this.spool;
  }

  async close(): Promise<void> {
    await this.forwarder?.close();
    await this.sip.close();
    this.spool.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The fields of an RTP packet a test checks (RFC 3550 §5.1). */
export interface RtpFields {
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

/** Reads the fixed RTP header of a datagram (no CSRC, no extension: what our sender writes). */
export function readRtp(packet: Uint8Array): RtpFields {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    marker: ((packet[1] ?? 0) & 0x80) !== 0,
    payloadType: (packet[1] ?? 0) & 0x7f,
    seq: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: packet.subarray(12),
  };
}
