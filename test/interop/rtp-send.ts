/**
 * Sends a headerless G.711 file as one paced RTP stream (RFC 3550), 160 bytes (20 ms at 8 kHz) per packet,
 * starting with the marker bit, and exits when the file ends. The payload bytes are the file's bytes,
 * unchanged; a last partial frame is sent as it is. With `--loops N` the file is sent N times back to
 * back as one stream (sequence numbers and timestamps run on, the marker only on the first packet), like
 * SIPp's `rtp_stream="file,N,pt"`.
 *
 * SIPp's `rtp_stream` can only reach the first m-line of an answer (test/interop/README.md), so the SIPREC
 * scenarios start this helper with `<exec command=…>` for m-line 2.
 *
 * Usage: `bun test/interop/rtp-send.ts --to 127.0.0.1:40002 --file test/fixtures/audio/customer.ulaw
 *   --pt 0|8 --ssrc N` where N is decimal or `0x…` hex, optionally `BASE+OFFSET` (e.g. `0xCA120000+3`, so a
 * scenario can add `[call_number]`).
 */
/** Samples (= G.711 bytes) per 20 ms packet at 8 kHz. */
const frameBytes = 160;
/** Packet interval in ms. */
const ptimeMs = 20;
const headerBytes = 12;

interface SendOptions {
  host: string;
  port: number;
  file: string;
  payloadType: number;
  ssrc: number;
  /** Times the file is sent back to back, ≥ 1. */
  loops: number;
}

function usage(message: string): never {
  console.error(`rtp-send: ${message}`);
  console.error(
    "usage: bun test/interop/rtp-send.ts --to HOST:PORT --file FILE --pt 0|8 --ssrc N [--loops N]",
  );
  process.exit(2);
}

function parseSsrc(text: string): number {
  const sum = text.split("+").reduce((acc, part) => acc + Number(part.trim()), 0);
  if (!Number.isInteger(sum) || sum < 0) usage(`bad --ssrc ${text}`);
  return sum >>> 0;
}

function parseArgs(argv: string[]): SendOptions {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith("--") || value === undefined) usage(`unexpected argument ${key ?? ""}`);
    args.set(key.slice(2), value);
  }
  const to = args.get("to") ?? usage("--to is required");
  const colon = to.lastIndexOf(":");
  const host = to.slice(0, colon);
  const port = Number(to.slice(colon + 1));
  if (colon < 1 || !Number.isInteger(port) || port < 1 || port > 65535) usage(`bad --to ${to}`);
  const payloadType = Number(args.get("pt") ?? usage("--pt is required"));
  if (payloadType !== 0 && payloadType !== 8) usage("--pt must be 0 (PCMU) or 8 (PCMA)");
  const file = args.get("file") ?? usage("--file is required");
  const ssrc = parseSsrc(args.get("ssrc") ?? usage("--ssrc is required"));
  const loops = Number(args.get("loops") ?? "1");
  if (!Number.isInteger(loops) || loops < 1) usage("--loops must be an integer ≥ 1");
  return { host, port, file, payloadType, ssrc, loops };
}

/** The bytes of `file` `times` times back to back. */
function repeat(file: Uint8Array, times: number): Uint8Array {
  const out = new Uint8Array(file.length * times);
  for (let i = 0; i < times; i++) out.set(file, i * file.length);
  return out;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const payload = repeat(await Bun.file(options.file).bytes(), options.loops);
  const socket = await Bun.udpSocket({});
  const packet = new Uint8Array(headerBytes + frameBytes);
  const view = new DataView(packet.buffer);
  let seq = Math.floor(Math.random() * 0x10000);
  let timestamp = Math.floor(Math.random() * 0x100000000) >>> 0;
  view.setUint32(8, options.ssrc);
  const start = performance.now();
  let offset = 0;
  let index = 0;
  while (offset < payload.length) {
    const length = Math.min(frameBytes, payload.length - offset);
    packet[0] = 0x80;
    packet[1] = (index === 0 ? 0x80 : 0) | options.payloadType;
    view.setUint16(2, seq);
    view.setUint32(4, timestamp);
    packet.set(payload.subarray(offset, offset + length), headerBytes);
    const wait = start + index * ptimeMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    // Bun sends synchronously, so the one packet buffer can be reused.
    socket.send(packet.subarray(0, headerBytes + length), options.port, options.host);
    offset += length;
    index += 1;
    seq = (seq + 1) & 0xffff;
    timestamp = (timestamp + length) >>> 0;
  }
  socket.close();
  console.log(
    `rtp-send: ${index} packets, ${payload.length} payload bytes to ${options.host}:${options.port} ssrc=0x${options.ssrc.toString(16)}`,
  );
}

await main();

export {};
