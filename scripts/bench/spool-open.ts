/**
 * Spool open + crash-recovery benchmark (DESIGN.md §4, issue 3: "accepts new calls within 2 s of
 * start"). A child process writes a spool of `--mb` megabytes (completed calls of 2 streams each,
 * 160-byte PCMU frames, 2,000 streams at a time, commits of 10,000 frames), leaves `--live` calls
 * live with frames pending, and kills itself with SIGKILL. This process then times `openSqliteSpool`,
 * `recoverLiveCalls`, the first `level()`, listing the undelivered calls and reading the first frames
 * of a recovered call, twice (the second open finds the file in the page cache).
 *
 * Usage: `bun scripts/bench/spool-open.ts [--mb 1000] [--live 50] [--keep DIR]`; `--open DIR` only times
 * the opens of a spool kept earlier (e.g. after `echo 1 > /proc/sys/vm/drop_caches` for a cold cache).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type CallRecord, FrameKind, openSqliteSpool, type SqliteSpool } from "../../src/spool/index.ts";

const { values: args } = parseArgs({
  options: {
    mb: { type: "string", default: "1000" },
    live: { type: "string", default: "50" },
    writer: { type: "string" },
    keep: { type: "string" },
    open: { type: "string" },
  },
});
const framesPerCommit = 5;
const concurrentStreams = 2000;
const bytesPerFrame = 218;
const baseUs = 1_700_000_000_000_000;

function call(n: number): CallRecord {
  return {
    callId: `0190c0de-0000-7000-8000-${String(n).padStart(12, "0")}`,
    sipCallId: `bench-${n}@sbc`,
    siprecSessionId: "",
    correlation: { ucid: String(n) },
    source: "127.0.0.1:5060",
    startedUs: baseUs + n,
    epochUs: baseUs + n,
    endedUs: 0,
    state: "live",
    reason: "",
    metadataXml: "<recording/>",
    participants: [],
  };
}

/** Writes calls in waves of `concurrentStreams / 2` until the file holds `mb` MB, then crashes. */
function write(path: string, mb: number, live: number): void {
  const spool = openSqliteSpool({ path, commitIntervalMs: 2 ** 31 - 1, maxBytes: 100e9, minFreeDisk: 0 });
  const payload = new Uint8Array(160).fill(0x55);
  const totalFrames = (mb * 1e6) / bytesPerFrame;
  const callsPerWave = concurrentStreams / 2;
  const framesPerWave = 3000 * concurrentStreams;
  const waves = Math.max(1, Math.round(totalFrames / framesPerWave));
  let n = 0;
  for (let wave = 0; wave < waves; wave++) {
    const last = wave === waves - 1;
    const calls: { call: CallRecord; streams: number[] }[] = [];
    for (let c = 0; c < callsPerWave; c++) {
      const record = call(++n);
      spool.createCall(record);
      const streams = [0, 1].map(
        (m) =>
          spool.createStream({
            callId: record.callId,
            label: String(m),
            siprecStreamId: "",
            participantId: "",
            role: "unknown",
            mlineIndex: m,
            codec: "PCMU",
            rate: 8000,
            payloadType: 0,
            startedUs: baseUs,
          }).streamId,
      );
      calls.push({ call: record, streams });
    }
    for (let f = 0; f < framesPerWave / concurrentStreams; f += framesPerCommit) {
      for (const { streams } of calls) {
        for (const streamId of streams) {
          for (let k = f; k < f + framesPerCommit; k++) {
            spool.appendFrame(streamId, {
              kind: FrameKind.Audio,
              flags: 0,
              gapReason: 0,
              rtpSeq: k,
              pos: k * 160,
              captureUs: baseUs + k * 20_000,
              durationSamples: 160,
              payload,
            });
          }
        }
      }
      spool.flush();
    }
    const ending = last ? calls.slice(live) : calls;
    for (const { call: record, streams } of ending) {
      for (const streamId of streams) spool.endStream(streamId, baseUs + 60e6);
      spool.endCall(record.callId, "completed", "bye", baseUs + 60e6);
    }
    if (last)
      for (const { streams } of calls.slice(0, live))
        for (const s of streams)
          spool.appendFrame(s, {
            kind: FrameKind.Gap,
            flags: 0,
            gapReason: 2,
            rtpSeq: 0,
            pos: 0,
            captureUs: baseUs,
            durationSamples: 160,
            payload: new Uint8Array(0),
          });
  }
  process.stdout.write("written\n", () => process.kill(process.pid, "SIGKILL"));
}

function timeOpen(path: string, label: string): void {
  const t0 = performance.now();
  const spool: SqliteSpool = openSqliteSpool({ path, maxBytes: 100e9, minFreeDisk: 0 });
  const t1 = performance.now();
  const recovered = spool.recoverLiveCalls(baseUs + 3_600e6);
  const t2 = performance.now();
  const level = spool.level();
  const t3 = performance.now();
  const undelivered = spool.listCalls({ state: ["completed", "recovered"], order: "oldest" });
  const t4 = performance.now();
  const first = recovered[0] ?? undelivered[0];
  const streams = first ? spool.listStreams(first.callId) : [];
  const frames = streams[0] ? spool.readFrames(streams[0].streamId, 1, 256).length : 0;
  const t5 = performance.now();
  spool.close();
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(
    `${label}: open ${f(t1 - t0)}, recoverLiveCalls ${f(t2 - t1)} (${recovered.length} calls), ` +
      `level ${f(t3 - t2)} (${(level.bytes / 1e6).toFixed(0)} MB used), ` +
      `listCalls not live ${f(t4 - t3)} (${undelivered.length}), first read ${f(t5 - t4)} (${frames} frames); ` +
      `open→accepting ${f(t3 - t0)}`,
  );
}

if (args.writer) {
  write(args.writer, Number(args.mb), Number(args.live));
} else if (args.open) {
  timeOpen(join(args.open, "spool.db"), "open        ");
  timeOpen(join(args.open, "spool.db"), "reopen      ");
} else {
  const dir = args.keep ?? mkdtempSync(join(tmpdir(), "bench-spool-open-"));
  const path = join(dir, "spool.db");
  const w0 = performance.now();
  const child = spawnSync(
    process.execPath,
    [import.meta.filename, "--writer", path, "--mb", args.mb, "--live", args.live],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (child.signal !== "SIGKILL") throw new Error(`writer ended with ${child.signal ?? child.status}`);
  const size = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
  console.log(
    `spool-open: wrote ${(size / 1e6).toFixed(0)} MB in ${((performance.now() - w0) / 1000).toFixed(1)} s, ` +
      `writer killed with SIGKILL leaving ${args.live} calls live, Bun ${Bun.version}`,
  );
  timeOpen(path, "after kill -9");
  timeOpen(path, "clean reopen ");
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
