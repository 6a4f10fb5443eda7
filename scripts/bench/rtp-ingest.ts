/**
 * RTP ingest benchmark (DESIGN.md §3 target: 1,000 calls × 2 streams × 50 packets/s = 100k packets/s).
 *
 *   node_modules/.bin/bun scripts/bench/rtp-ingest.ts [--streams 2000] [--pps 50] [--seconds 5]
 *     [--receivers-only]   (skip (a) and the socket floor, e.g. under --cpu-prof-md)
 *
 * (a) Header parse cost per packet: rtp.js `new RtpPacket(view)` versus `isRtp` + a direct DataView
 *     read of the fixed header (`readRtpHeader`, what the receiver uses), on fresh 172-byte buffers
 *     whose payload views are kept alive as the spool keeps them.
 * (b) End to end: a child process sends `streams × pps` packets/s (20 ms G.711, each stream at its own
 *     phase) for `seconds` to `streams` receivers on 127.0.0.1, one RTP socket (+ its RTCP socket)
 *     each, as in production. This process only receives; it prints packets/s received, lost, and its
 *     CPU % (process.cpuUsage). A second run with bare `Bun.udpSocket` handlers that only count gives
 *     the socket floor, so the receiver's own share is the difference.
 * Figures only; no assertions.
 */
import { isRtp, RtpPacket } from "rtp.js/packets";
import {
  createPortPool,
  createRtpReceiver,
  type MediaFrame,
  type RtpReceiver,
} from "../../src/media/index.ts";
import { RtpHeader, readRtpHeader } from "../../src/media/rtp/rtp-header.ts";

const args = process.argv.slice(2);
function arg(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

if (args[0] === "--send") await runSender();
else await main();

async function main(): Promise<void> {
  const streams = arg("streams", 2000);
  const pps = arg("pps", 50);
  const seconds = arg("seconds", 5);
  const only = args.includes("--receivers-only");
  console.log(`Bun ${Bun.version}, ${navigator.hardwareConcurrency} CPUs`);
  if (!only) parseBenchmark();
  console.log(
    `\n(b) end to end: ${streams} streams × ${pps} packets/s = ${streams * pps} packets/s for ${seconds} s`,
  );
  await endToEnd("receivers", streams, pps, seconds);
  if (!only) await endToEnd("socket floor", streams, pps, seconds);
}

/* ---------------------------------------------------------------- (a) parse cost */

function parseBenchmark(): void {
  const n = 100_000;
  const rounds = 20;
  // Datagrams as the receiver gets them from Bun.udpSocket (binaryType "arraybuffer").
  const makeSet = (): ArrayBuffer[] =>
    Array.from({ length: n }, (_, i) => {
      const b = new Uint8Array(172);
      b.set([0x80, 0, (i >> 8) & 0xff, i & 0xff, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78]);
      return b.buffer;
    });
  const sets = [makeSet(), makeSet()];
  const kept: unknown[] = new Array(n);
  const header = new RtpHeader();
  const variants: [string, (datagram: ArrayBuffer) => unknown][] = [
    [
      "rtp.js new RtpPacket(view)",
      (datagram) => {
        const p = new RtpPacket(new DataView(datagram));
        const pl = p.getPayload();
        const fields = p.getSequenceNumber() + p.getTimestamp() + p.getSsrc() + p.getPayloadType();
        return fields >= 0 ? new Uint8Array(pl.buffer, pl.byteOffset, pl.byteLength) : undefined;
      },
    ],
    [
      "isRtp + DataView read (used)",
      (datagram) => {
        readRtpHeader(new DataView(datagram), header);
        return new Uint8Array(datagram, header.payloadStart, header.payloadEnd - header.payloadStart);
      },
    ],
    ["isRtp alone", (datagram) => (isRtp(new DataView(datagram)) ? datagram : undefined)],
  ];
  console.log(
    "\n(a) header parse + payload view, per packet (fresh 172-byte datagrams, payload views kept alive)",
  );
  for (let pass = 0; pass < 2; pass++) {
    for (const [name, fn] of variants) {
      for (const b of sets[0] ?? []) fn(b);
      Bun.gc(true);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) {
        const set = sets[r & 1] ?? [];
        for (let i = 0; i < n; i++) kept[i] = fn(set[i] as ArrayBuffer);
      }
      const wallNs = ((performance.now() - t0) * 1e6) / (n * rounds);
      const cpu = process.cpuUsage(cpu0);
      const cpuNs = ((cpu.user + cpu.system) * 1000) / (n * rounds);
      if (pass === 1) {
        console.log(
          `  ${name.padEnd(30)} ${wallNs.toFixed(0).padStart(5)} ns wall  ${cpuNs.toFixed(0).padStart(5)} ns CPU` +
            `  = ${((cpuNs * 100_000) / 1e7).toFixed(2)} % of one core at 100k packets/s`,
        );
      }
    }
  }
}

/* ---------------------------------------------------------------- (b) end to end */

interface Sink {
  port: number;
  close(): void;
  received(): number;
  lost(): number;
}

async function endToEnd(mode: "receivers" | "socket floor", streams: number, pps: number, seconds: number) {
  const sinks = mode === "receivers" ? await openReceivers(streams) : await openFloorSockets(streams);
  const ports = sinks.map((s) => s.port).join(",");
  const sender = Bun.spawn(
    [process.execPath, import.meta.path, "--send", "--pps", String(pps), "--seconds", String(seconds)],
    { env: { ...process.env, RTP_BENCH_PORTS: ports }, stdout: "pipe", stderr: "inherit" },
  );
  // Skip the first second (sockets warming up, JIT), then measure the rest of the run.
  await Bun.sleep(1000);
  const received0 = sum(sinks, (s) => s.received());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Bun.sleep((seconds - 1.5) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const elapsedS = (performance.now() - t0) / 1000;
  const receivedInWindow = sum(sinks, (s) => s.received()) - received0;
  const report = JSON.parse(await new Response(sender.stdout).text()) as { sent: number };
  await sender.exited;
  await Bun.sleep(300);
  const received = sum(sinks, (s) => s.received());
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100;
  const rate = receivedInWindow / elapsedS;
  console.log(
    `  ${mode.padEnd(12)} ${rate.toFixed(0).padStart(7)} packets/s received, ` +
      `CPU ${cpuPct.toFixed(1)} % of one core (user ${((cpu.user / 1e6 / elapsedS) * 100).toFixed(1)} %, ` +
      `system ${((cpu.system / 1e6 / elapsedS) * 100).toFixed(1)} %) ` +
      `= ${(((cpu.user + cpu.system) / receivedInWindow) * 1000).toFixed(0)} ns/packet; ` +
      `sent ${report.sent}, received ${received}, never arrived ${report.sent - received}` +
      (mode === "receivers" ? `, RTP loss counted ${sum(sinks, (s) => s.lost())}` : ""),
  );
  for (const s of sinks) s.close();
}

function sum(sinks: Sink[], f: (s: Sink) => number): number {
  let total = 0;
  for (const s of sinks) total += f(s);
  return total;
}

async function openReceivers(streams: number): Promise<Sink[]> {
  const pool = createPortPool([30000, 39999]);
  const sinks: Sink[] = [];
  let frames = 0;
  const onFrame = (_frame: MediaFrame): void => {
    frames++;
  };
  for (let i = 0; sinks.length < streams; i++) {
    if (i > streams * 2) throw new Error("not enough free ports in 30000–39999");
    const callClock = { epochUs: 0 };
    const port = pool.allocate();
    const receiver: RtpReceiver = createRtpReceiver({
      address: "127.0.0.1",
      port,
      formats: [{ payloadType: 0, codec: "PCMU", rate: 8000 }],
      callClock,
      onFrame,
    });
    try {
      await receiver.start();
    } catch {
      receiver.close();
      continue;
    }
    sinks.push({
      port: receiver.port,
      close: () => receiver.close(),
      received: () => receiver.stats().packetsReceived,
      lost: () => receiver.stats().packetsLost,
    });
  }
  void frames;
  return sinks;
}

async function openFloorSockets(streams: number): Promise<Sink[]> {
  const sinks: Sink[] = [];
  for (let i = 0; i < streams; i++) {
    let count = 0;
    const socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      binaryType: "uint8array",
      socket: {
        data: () => {
          count++;
        },
      },
    });
    sinks.push({ port: socket.port, close: () => socket.close(), received: () => count, lost: () => 0 });
  }
  return sinks;
}

/* ---------------------------------------------------------------- sender (child process) */

async function runSender(): Promise<void> {
  const ports = (process.env.RTP_BENCH_PORTS ?? "").split(",").map(Number);
  const pps = arg("pps", 50);
  const seconds = arg("seconds", 5);
  const socket = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const intervalMs = 1000 / pps;
  const packets = ports.map((_, i) => {
    const b = new Uint8Array(172).fill(0xff);
    b.set([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, (i >> 8) & 0xff, i & 0xff]);
    return b;
  });
  const seq = new Uint32Array(ports.length);
  // Stream i sends its k-th packet at (k + i / n) × interval: phases spread over one interval.
  const start = performance.now();
  const total = Math.floor(seconds * pps) * ports.length;
  let sent = 0;
  const batch: (Uint8Array | number | string)[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / intervalMs) * ports.length));
    batch.length = 0;
    for (; sent < due; sent++) {
      const i = sent % ports.length;
      const k = seq[i] ?? 0;
      seq[i] = k + 1;
      const src = packets[i] as Uint8Array;
      const b = src.slice();
      b[2] = (k >> 8) & 0xff;
      b[3] = k & 0xff;
      new DataView(b.buffer).setUint32(4, k * 160);
      batch.push(b, ports[i] ?? 0, "127.0.0.1");
      if (batch.length >= 192) {
        socket.sendMany(batch);
        batch.length = 0;
      }
    }
    if (batch.length > 0) socket.sendMany(batch);
    await Bun.sleep(1);
  }
  socket.close();
  process.stdout.write(JSON.stringify({ sent }));
}
