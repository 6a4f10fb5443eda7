/**
 * Per-call capture benchmark (issue 6 part 4; target: 100k RTP packets/s on 2 cores for the whole appliance).
 *
 *   node_modules/.bin/bun scripts/bench/capture.ts [--calls 1000] [--pps 50] [--seconds 5] [--writer-only]
 *
 * (a) Writer: `CallCapture.datagram` for 172-byte RTP datagrams (fresh ArrayBuffers, as Bun hands them
 *     over) spread over `calls` captures of two streams each, with the store's flush every 500 ms of
 *     packets at 100k packets/s (one `write(2)` per capture per flush): CPU ns/packet including the
 *     flushes, MB/s written, and the share of one core at 100k packets/s.
 * (b) End to end: `calls × 2` RTP receivers on 127.0.0.1 get `pps` packets/s each from a child process
 *     (the sender of scripts/bench/rtp-ingest.ts), once without and once with every receiver tapped into
 *     its call's capture; CPU ns/packet of this process for both, and the difference.
 * Figures only; no assertions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CallCapture, CaptureStore } from "../../src/capture/index.ts";
import { createPortPool, createRtpReceiver, type RtpReceiver } from "../../src/media/index.ts";

const args = process.argv.slice(2);
function arg(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const calls = arg("calls", 1000);
const pps = arg("pps", 50);
const seconds = arg("seconds", 5);
const dir = mkdtempSync(join(tmpdir(), "capture-bench-"));
try {
  console.log(`Bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs`);
  writerBenchmark();
  if (!args.includes("--writer-only")) {
    console.log(`\n(b) end to end: ${calls * 2} streams × ${pps} packets/s = ${calls * 2 * pps} packets/s`);
    const plain = await endToEnd(false);
    const tapped = await endToEnd(true);
    console.log(`  capture adds ${(tapped - plain).toFixed(0)} ns/packet end to end`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function openCaptures(store: CaptureStore): CallCapture[] {
  const out: CallCapture[] = [];
  for (let i = 0; i < calls; i++) {
    const capture = store.open(`bench-${i}`, `sip-${i}`, { localAddress: "192.0.2.1" });
    if (!capture) throw new Error("capture not opened");
    out.push(capture);
  }
  return out;
}

function writerBenchmark(): void {
  const store = new CaptureStore({ dir: join(dir, "a"), maxBytes: 1e12, flushIntervalMs: 3_600_000 });
  const captures = openCaptures(store);
  const streams = calls * 2;
  const datagrams = Array.from({ length: 100_000 }, (_, i) => {
    const b = new Uint8Array(172).fill(0xff);
    b.set([0x80, 0, (i >> 8) & 0xff, i & 0xff]);
    return b.buffer;
  });
  const perFlush = 50_000; // 500 ms at 100k packets/s
  const total = 1_000_000;
  const run = (count: number): void => {
    for (let n = 0; n < count; n++) {
      const stream = n % streams;
      const capture = captures[stream >> 1] as CallCapture;
      capture.datagram(
        datagrams[n % datagrams.length] as ArrayBuffer,
        "198.51.100.7",
        40_000 + stream,
        "0.0.0.0",
        20_000 + 2 * stream,
      );
      if (n % perFlush === perFlush - 1) store.flush();
    }
    store.flush();
  };
  run(200_000);
  Bun.gc(true);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run(total);
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuNs = ((cpu.user + cpu.system) * 1000) / total;
  const recordBytes = 16 + 20 + 8 + 172;
  console.log(
    `(a) writer: ${calls} captures, ${streams} streams, 172-byte RTP, flush every ${perFlush} packets\n` +
      `  ${((elapsedS * 1e9) / total).toFixed(0)} ns/packet wall, ${cpuNs.toFixed(0)} ns/packet CPU ` +
      `(user ${((cpu.user * 1000) / total).toFixed(0)}, system ${((cpu.system * 1000) / total).toFixed(0)}), ` +
      `${((total * recordBytes) / elapsedS / 1e6).toFixed(0)} MB/s written; ` +
      `at 100k packets/s: ${((cpuNs * 100_000) / 1e7).toFixed(1)} % of one core, ${((100_000 * recordBytes) / 1e6).toFixed(1)} MB/s`,
  );
  store.close();
}

async function endToEnd(tap: boolean): Promise<number> {
  const store = new CaptureStore({ dir: join(dir, tap ? "tapped" : "plain"), maxBytes: 1e12 });
  const captures = tap ? openCaptures(store) : [];
  const pool = createPortPool([30000, 39999]);
  const receivers: RtpReceiver[] = [];
  for (let i = 0; receivers.length < calls * 2; i++) {
    if (i > calls * 4) throw new Error("not enough free ports in 30000–39999");
    const receiver = createRtpReceiver({
      address: "127.0.0.1",
      port: pool.allocate(),
      formats: [{ payloadType: 0, codec: "PCMU", rate: 8000 }],
      callClock: { epochUs: 0 },
      onFrame: () => {},
      ...(tap ? { tap: captures[receivers.length >> 1] } : {}),
    });
    try {
      await receiver.start();
      receivers.push(receiver);
    } catch {
      receiver.close();
    }
  }
  const sender = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "rtp-ingest.ts"),
      "--send",
      "--pps",
      String(pps),
      "--seconds",
      String(seconds),
    ],
    {
      env: { ...process.env, RTP_BENCH_PORTS: receivers.map((r) => r.port).join(",") },
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  const received = (): number => receivers.reduce((sum, r) => sum + r.stats().packetsReceived, 0);
  await Bun.sleep(1000);
  const received0 = received();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Bun.sleep((seconds - 1.5) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const elapsedS = (performance.now() - t0) / 1000;
  const inWindow = received() - received0;
  await new Response(sender.stdout).text();
  await sender.exited;
  for (const r of receivers) r.close();
  store.close();
  const ns = ((cpu.user + cpu.system) * 1000) / inWindow;
  console.log(
    `  ${(tap ? "with capture" : "no capture").padEnd(13)} ${(inWindow / elapsedS).toFixed(0)} packets/s, ` +
      `CPU ${(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100).toFixed(1)} % of one core = ${ns.toFixed(0)} ns/packet`,
  );
  return ns;
}
