import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import {
  createPortPool,
  createRtpReceiver,
  type DatagramTap,
  type RtpReceiver,
} from "../../../src/media/index.ts";
import { mediaPortRange } from "../../helpers/appliance.ts";
import { buildRtp } from "./rtp-harness.ts";

interface Tapped {
  bytes: number[];
  remote: string;
  local: string;
}

class RecordingTap implements DatagramTap {
  readonly seen: Tapped[] = [];
  datagram(
    data: ArrayBuffer,
    remoteAddress: string,
    remotePort: number,
    localAddress: string,
    localPort: number,
  ) {
    this.seen.push({
      bytes: Array.from(new Uint8Array(data)),
      remote: `${remoteAddress}:${remotePort}`,
      local: `${localAddress}:${localPort}`,
    });
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function sender(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  cleanups.push(() => socket.close());
  return { socket, port: socket.address().port };
}

function send(socket: Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve) => socket.send(bytes, port, "127.0.0.1", () => resolve()));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
}

async function receiver(
  tap: DatagramTap | undefined,
  remote?: { address: string; port: number },
  port = 0,
): Promise<RtpReceiver> {
  const r: RtpReceiver = createRtpReceiver({
    address: "127.0.0.1",
    port,
    formats: [{ payloadType: 0, codec: "PCMU", rate: 8000 }],
    callClock: { epochUs: 0 },
    onFrame: () => {},
    ...(remote ? { remote, latch: false } : {}),
    ...(tap ? { tap } : {}),
  });
  await r.start();
  cleanups.push(() => r.close());
  return r;
}

describe("the RTP receiver's datagram tap", () => {
  it("gets every datagram on the RTP port before any check: valid RTP, garbage and the wrong source alike", async () => {
    const tap = new RecordingTap();
    const { socket, port } = await sender();
    const r = await receiver(tap, { address: "127.0.0.1", port: port + 1 });
    const rtp = buildRtp({ seq: 1, ts: 160 });
    await send(socket, rtp, r.port);
    await send(socket, new Uint8Array([1, 2, 3]), r.port);
    await until(() => tap.seen.length === 2);
    expect(tap.seen).toEqual([
      { bytes: Array.from(rtp), remote: `127.0.0.1:${port}`, local: `127.0.0.1:${r.port}` },
      { bytes: [1, 2, 3], remote: `127.0.0.1:${port}`, local: `127.0.0.1:${r.port}` },
    ]);
    expect(r.stats().packetsWrongSource).toBe(2);
  });

  it("gets the datagrams of the RTCP port too, with that port as the local one", async () => {
    const tap = new RecordingTap();
    const { socket } = await sender();
    const pool = createPortPool(mediaPortRange());
    let r: RtpReceiver | undefined;
    for (let i = 0; !r && i < 20; i++)
      r = await receiver(undefined, undefined, pool.allocate()).catch(() => undefined);
    if (!r) throw new Error("no free RTP/RTCP port pair");
    r.setTap(tap);
    const rtcpPort = r.port + 1;
    await send(socket, new Uint8Array([0x81, 200, 0, 1, 0, 0, 0, 1]), rtcpPort);
    await until(() => tap.seen.length === 1);
    expect(tap.seen[0]?.local).toBe(`127.0.0.1:${rtcpPort}`);
    expect(r.stats().rtcpPackets).toBe(1);
  });

  it("stops handing datagrams over once the tap is removed, and records as before", async () => {
    const tap = new RecordingTap();
    const { socket } = await sender();
    const r = await receiver(tap);
    await send(socket, buildRtp({ seq: 1, ts: 160 }), r.port);
    await until(() => tap.seen.length === 1);
    r.setTap(undefined);
    await send(socket, buildRtp({ seq: 2, ts: 320 }), r.port);
    await until(() => r.stats().packetsReceived === 2);
    expect(tap.seen).toHaveLength(1);
    expect(r.stats().packetsReceived).toBe(2);
  });
});
