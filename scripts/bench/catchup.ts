/**
 * Catch-up benchmark (issue 3, DESIGN.md §5): a spool holding a backlog of `calls × streams × seconds`
 * of PCMU audio (default 100 × 2 × 60 s = 200 call-minutes), every call ended while the upstream was
 * away; a sink dispatcher (per-participant, PCMU) is started on it and `recover()` delivers it all to
 * the reference EASP receiver on 127.0.0.1. Prints the catch-up rate (audio seconds delivered and
 * acknowledged per wall second; target ≥ 20× real time) and the CPU used.
 *
 * Usage: `bun scripts/bench/catchup.ts [--calls 100] [--streams 2] [--seconds 60]
 *   [--receiver inprocess|binary] [--concurrency 64]`
 * (`binary` runs `dist/siprec-edge receive` as its own process; build it first with `make build`).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createSinkDispatcher } from "../../src/sinks/index.ts";
import { FrameKind, openSqliteSpool } from "../../src/spool/index.ts";
import { startEaspReceiver } from "../../src/tools/index.ts";

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "100" },
    streams: { type: "string", default: "2" },
    seconds: { type: "string", default: "60" },
    receiver: { type: "string", default: "inprocess" },
    concurrency: { type: "string", default: "64" },
  },
});
const calls = Number(args.calls);
const streamsPerCall = Number(args.streams);
const seconds = Number(args.seconds);
const framesPerStream = seconds * 50;
const dir = mkdtempSync(join(tmpdir(), "bench-catchup-"));
const outDir = join(dir, "received");

/** Frames per stream in each group commit while filling (100 ms of 20 ms frames, as recorded live). */
const FRAMES_PER_COMMIT = 5;

/**
 * Fills the spool the way the recorder does during an outage: every call's streams get their 20 ms
 * PCMU frames (160 bytes) side by side, group-committed every 100 ms of audio; the calls are ended.
 * They were captured an hour ago, so everything is a REPLAY backlog.
 */
function fillSpool(path: string): { frames: number; ms: number } {
  const started = performance.now();
  const spool = openSqliteSpool({ path, commitIntervalMs: 2 ** 31 - 1 });
  const payloads = Array.from({ length: 64 }, (_, i) =>
    new Uint8Array(160).map((_, j) => (i * 31 + j * 7) & 0xff),
  );
  const epochUs = Date.now() * 1000 - 3_600_000_000;
  const streams: number[] = [];
  const callIds: string[] = [];
  for (let c = 0; c < calls; c++) {
    const callId = `0190c0de-0000-7000-8000-${String(c).padStart(12, "0")}`;
    callIds.push(callId);
    spool.createCall({
      callId,
      sipCallId: `${callId}@bench`,
      siprecSessionId: "",
      correlation: {},
      source: "127.0.0.1:5060",
      startedUs: epochUs - 100_000,
      epochUs,
      endedUs: 0,
      state: "live",
      reason: "",
      metadataXml: "",
      participants: [],
    });
    for (let s = 0; s < streamsPerCall; s++) {
      const stream = spool.createStream({
        callId,
        label: String(s + 1),
        siprecStreamId: "",
        participantId: `p${s}`,
        role: s === 0 ? "customer" : "agent",
        mlineIndex: s,
        codec: "PCMU",
        rate: 8000,
        payloadType: 0,
        startedUs: epochUs - 50_000,
      });
      streams.push(stream.streamId);
    }
  }
  let frames = 0;
  for (let k0 = 0; k0 < framesPerStream; k0 += FRAMES_PER_COMMIT) {
    for (const [s, streamId] of streams.entries()) {
      for (let k = k0; k < Math.min(framesPerStream, k0 + FRAMES_PER_COMMIT); k++) {
        spool.appendFrame(streamId, {
          kind: FrameKind.Audio,
          flags: 0,
          gapReason: 0,
          rtpSeq: k,
          pos: k * 160,
          captureUs: epochUs + k * 20_000,
          durationSamples: 160,
          payload: payloads[(k + s) % payloads.length] as Uint8Array,
        });
        frames++;
      }
    }
    spool.flush();
  }
  const endedUs = epochUs + framesPerStream * 20_000;
  for (const streamId of streams) spool.endStream(streamId, endedUs);
  for (const callId of callIds) spool.endCall(callId, "completed", "bye", endedUs);
  spool.close();
  return { frames, ms: performance.now() - started };
}

/** Starts `dist/siprec-edge receive` on a free port; returns the port, a stop function and its CPU time (ms). */
async function startBinaryReceiver(): Promise<{
  port: number;
  stop: () => Promise<void>;
  cpuMs: () => number;
}> {
  const child = spawn("dist/siprec-edge", ["receive", "--listen", "127.0.0.1:0", "--out", outDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const url = /ws:\/\/[^:]+:(\d+)/.exec(line);
      if (url) resolve(Number(url[1]));
    });
    child.on("exit", (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  const cpuMs = (): number => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  };
  return {
    port,
    cpuMs,
    stop: () =>
      new Promise((resolve) => {
        child.on("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

const spoolPath = join(dir, "spool.db");
const filled = fillSpool(spoolPath);
const audioSeconds = (filled.frames * 20) / 1000;
console.log(
  `spool: ${calls} calls × ${streamsPerCall} streams × ${seconds} s = ${audioSeconds / 60} call-minutes, ` +
    `${filled.frames} frames, filled in ${(filled.ms / 1000).toFixed(1)} s`,
);

const binary = args.receiver === "binary";
const receiver = binary
  ? await startBinaryReceiver()
  : await startEaspReceiver({ host: "127.0.0.1", port: 0, outDir }).then((r) => ({
      port: r.port,
      stop: () => r.close(),
      cpuMs: () => 0,
    }));
const spool = openSqliteSpool({ path: spoolPath });
const dispatcher = createSinkDispatcher({
  sinks: [
    {
      name: "bench",
      type: "websocket",
      url: `ws://127.0.0.1:${receiver.port}/stream`,
      protocol: "easp",
      mode: "per-participant",
      format: "PCMU/8000",
      headers: {},
    },
  ],
  spool,
  applianceId: "bench",
  version: "bench",
  recoveryConcurrency: Number(args.concurrency),
});
let done = 0;
let replayed = 0;
dispatcher.on("unitdone", () => {
  done++;
});
dispatcher.on("unitcaughtup", () => {
  replayed++;
});
const units = calls * streamsPerCall;
const cpuBefore = process.cpuUsage();
const receiverCpuBefore = receiver.cpuMs();
const started = performance.now();
dispatcher.recover();
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    if (done < units) return;
    clearInterval(timer);
    resolve();
  }, 5);
});
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const receiverCpuMs = receiver.cpuMs() - receiverCpuBefore;
const undelivered = spool.listCalls().filter((call) => !dispatcher.isDelivered(call.callId)).length;

const rate = audioSeconds / (wallMs / 1000);
const appCpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  `catch-up: ${audioSeconds} s of audio in ${(wallMs / 1000).toFixed(2)} s wall = ${rate.toFixed(0)}× real time ` +
    `(target ≥ 20×); ${units} units, ${replayed} caught up, ${undelivered} calls undelivered`,
);
console.log(
  `CPU: dispatcher process ${((appCpuMs / wallMs) * 100).toFixed(0)}% of one core` +
    (binary
      ? `, receiver process ${((receiverCpuMs / wallMs) * 100).toFixed(0)}%`
      : " (receiver in the same process)") +
    `; ${((filled.frames * 200) / 1e6 / (wallMs / 1000)).toFixed(1)} MB/s of EASP records`,
);

await dispatcher.close();
spool.close();
await receiver.stop();
rmSync(dir, { recursive: true, force: true });
