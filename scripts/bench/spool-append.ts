/**
 * Spool append benchmark (DESIGN.md §4): `streams` streams × 50 frames/s of 160-byte PCMU payloads for
 * `seconds` of simulated time, a group commit every `commit-ms` (100) ms, to a file in a temp folder.
 *
 * 1. fast: appendFrame + flush as fast as possible (frames/s, µs per append, ms per commit).
 * 2. paced: the same load in real time (CPU % of one core, ms per commit).
 * 3. layouts: the `frames` table as `WITHOUT ROWID` against a rowid table with `UNIQUE (stream_id, idx)`,
 *    same inserts through bun:sqlite, plus 50-frame range reads from a reopened (cold) file.
 *
 * Usage: `bun scripts/bench/spool-append.ts [--streams 2000] [--seconds 10] [--synchronous normal|full]
 *   [--commit-ms 100] [--checkpoint worker|inline] [--skip-fast] [--skip-paced] [--skip-layouts]`
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../../src/lib/index.ts";
import { type FrameInput, FrameKind, openSqliteSpool, type SqliteSpool } from "../../src/spool/index.ts";

const { values: args } = parseArgs({
  options: {
    streams: { type: "string", default: "2000" },
    seconds: { type: "string", default: "10" },
    synchronous: { type: "string", default: "normal" },
    "commit-ms": { type: "string", default: "100" },
    checkpoint: { type: "string", default: "worker" },
    "skip-fast": { type: "boolean", default: false },
    "skip-paced": { type: "boolean", default: false },
    "skip-layouts": { type: "boolean", default: false },
  },
});
const streams = Number(args.streams);
const seconds = Number(args.seconds);
const synchronous = args.synchronous === "full" ? "full" : "normal";
const checkpoint = args.checkpoint === "inline" ? "inline" : "worker";
const frameMs = 20;
const commitMs = Number(args["commit-ms"]);
const commitEveryTicks = Math.max(1, Math.round(commitMs / frameMs));
const ticks = (seconds * 1000) / frameMs;
const noTimerMs = 2 ** 31 - 1;

interface Load {
  spool: SqliteSpool;
  streamIds: number[];
  payloads: Uint8Array[];
  dir: string;
}

function setUp(): Load {
  const dir = mkdtempSync(join(tmpdir(), "bench-spool-"));
  const spool = openSqliteSpool({
    path: join(dir, "spool.db"),
    synchronous,
    checkpoint,
    commitIntervalMs: noTimerMs,
  });
  const callId = "0190c0de-0000-7000-8000-000000000001";
  spool.createCall({
    callId,
    sipCallId: "bench",
    siprecSessionId: "",
    correlation: {},
    source: "127.0.0.1:5060",
    startedUs: systemClock.wallUs(),
    epochUs: 0,
    endedUs: 0,
    state: "live",
    reason: "",
    metadataXml: "",
    participants: [],
  });
  const streamIds: number[] = [];
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < streams; i++) {
    const s = spool.createStream({
      callId,
      label: String(i),
      siprecStreamId: "",
      participantId: "",
      role: "unknown",
      mlineIndex: i,
      codec: "PCMU",
      rate: 8000,
      payloadType: 0,
      startedUs: systemClock.wallUs(),
    });
    streamIds.push(s.streamId);
    payloads.push(new Uint8Array(160).fill(i & 0xff));
  }
  return { spool, streamIds, payloads, dir };
}

function framesOfTick(load: Load, tick: number): FrameInput[] {
  const frames: FrameInput[] = new Array(load.streamIds.length);
  for (let i = 0; i < frames.length; i++) {
    frames[i] = {
      kind: FrameKind.Audio,
      flags: 0,
      gapReason: 0,
      rtpSeq: tick,
      pos: tick * 160,
      captureUs: 1_700_000_000_000_000 + tick * 20_000,
      durationSamples: 160,
      payload: load.payloads[i]!,
    };
  }
  return frames;
}

function appendTick(load: Load, frames: FrameInput[]): number {
  const t0 = performance.now();
  for (let i = 0; i < frames.length; i++) load.spool.appendFrame(load.streamIds[i]!, frames[i]!);
  return performance.now() - t0;
}

function timedFlush(spool: SqliteSpool): number {
  const t0 = performance.now();
  spool.flush();
  return performance.now() - t0;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

function commitFigures(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1);
  return `commit ms p50 ${f(percentile(sorted, 50))} p99 ${f(percentile(sorted, 99))} max ${f(sorted.at(-1) ?? 0)}`;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function tearDown(load: Load): number {
  const bytes = load.spool.stats().bytes;
  load.spool.close();
  rmSync(load.dir, { recursive: true, force: true });
  return bytes;
}

function runFast(): void {
  const load = setUp();
  const commitTimes: number[] = [];
  let appendMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    appendMs += appendTick(load, framesOfTick(load, tick));
    if ((tick + 1) % commitEveryTicks === 0) commitTimes.push(timedFlush(load.spool));
  }
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(cpu0);
  const frames = ticks * streams;
  const bytes = tearDown(load);
  console.log(`fast:   ${frames.toLocaleString("en")} frames in ${(wallMs / 1000).toFixed(2)} s`);
  console.log(
    `        ${Math.round(frames / (wallMs / 1000)).toLocaleString("en")} frames/s, ` +
      `${((appendMs * 1000) / frames).toFixed(3)} µs per append, ${commitFigures(commitTimes)}`,
  );
  console.log(
    `        CPU ${(cpu / 1000).toFixed(2)} s for ${seconds} s of audio ` +
      `(${((cpu / (seconds * 1000)) * 100).toFixed(1)} % of a core at real time), file ${mb(bytes)}`,
  );
}

async function runPaced(): Promise<void> {
  const load = setUp();
  const commitTimes: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let tick = 0;
  while (tick < ticks) {
    const due = Math.min(ticks, Math.floor((performance.now() - start) / frameMs) + 1);
    for (; tick < due; tick++) {
      appendTick(load, framesOfTick(load, tick));
      if ((tick + 1) % commitEveryTicks === 0) commitTimes.push(timedFlush(load.spool));
    }
    await Bun.sleep(Math.max(0, start + tick * frameMs - performance.now()));
  }
  const wallMs = performance.now() - start;
  const cpu = cpuMs(cpu0);
  const bytes = tearDown(load);
  console.log(
    `paced:  ${seconds} s real time, CPU ${((cpu / wallMs) * 100).toFixed(1)} % of a core, ` +
      `${commitFigures(commitTimes)}, file ${mb(bytes)}`,
  );
}

const frameColumns = `stream_id INTEGER NOT NULL, idx INTEGER NOT NULL, kind INTEGER NOT NULL,
  flags INTEGER NOT NULL, gap_reason INTEGER NOT NULL, rtp_seq INTEGER NOT NULL, pos INTEGER NOT NULL,
  capture_us INTEGER NOT NULL, duration_samples INTEGER NOT NULL, payload BLOB NOT NULL`;
const layouts = {
  "WITHOUT ROWID": `CREATE TABLE frames (${frameColumns}, PRIMARY KEY (stream_id, idx)) WITHOUT ROWID`,
  "rowid AUTOINCREMENT + UNIQUE": `CREATE TABLE frames (frame_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ${frameColumns}, UNIQUE (stream_id, idx))`,
};

function runLayout(name: string, ddl: string): void {
  const dir = mkdtempSync(join(tmpdir(), "bench-layout-"));
  const path = join(dir, "frames.db");
  const db = new Database(path);
  db.run("PRAGMA journal_mode = WAL");
  db.run(`PRAGMA synchronous = ${synchronous.toUpperCase()}`);
  db.run(ddl);
  const insert = db.prepare(`INSERT INTO frames (stream_id, idx, kind, flags, gap_reason, rtp_seq, pos,
    capture_us, duration_samples, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const payload = new Uint8Array(160).fill(0x55);
  const commitTimes: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let base = 0; base < ticks; base += commitEveryTicks) {
    const t0 = performance.now();
    db.run("BEGIN IMMEDIATE");
    for (let s = 1; s <= streams; s++) {
      for (let k = 1; k <= commitEveryTicks; k++) {
        const idx = base + k;
        insert.run(s, idx, 1, 0, 0, idx, idx * 160, 1.7e15 + idx * 20_000, 160, payload);
      }
    }
    db.run("COMMIT");
    commitTimes.push(performance.now() - t0);
  }
  const cpuPerCommit = cpuMs(cpu0) / commitTimes.length;
  insert.finalize();
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  const cold = new Database(path, { readonly: true });
  const read = cold.prepare("SELECT * FROM frames WHERE stream_id = ? AND idx >= ? ORDER BY idx LIMIT 50");
  const reads = 2000;
  const t1 = performance.now();
  for (let i = 0; i < reads; i++)
    read.all(1 + ((i * 7919) % streams), 1 + ((i * 31) % Math.max(1, ticks - 50)));
  const readUs = ((performance.now() - t1) * 1000) / reads;
  read.finalize();
  cold.close();
  console.log(
    `layout: ${name.padEnd(28)} CPU ${cpuPerCommit.toFixed(1)} ms/commit, ${commitFigures(commitTimes)}, ` +
      `50-frame cold read ${readUs.toFixed(0)} µs, file ${mb(statSync(path).size)}`,
  );
  rmSync(dir, { recursive: true, force: true });
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

console.log(
  `spool-append: ${streams} streams × 50 frames/s × ${seconds} s, 160-byte payloads, ` +
    `commit every ${commitEveryTicks * frameMs} ms, synchronous=${synchronous}, checkpoint=${checkpoint}, ` +
    `Bun ${Bun.version}`,
);
if (!args["skip-fast"]) runFast();
if (!args["skip-paced"]) await runPaced();
if (!args["skip-layouts"]) for (const [name, ddl] of Object.entries(layouts)) runLayout(name, ddl);
