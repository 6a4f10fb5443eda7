import { describe, expect, it } from "vitest";
import type { Clock } from "../../../../src/lib/index.ts";
import { type DatagramSender, RtpPacer } from "../../../../src/tools/simulate-call/rtp-pacer.ts";
import { ManualClock } from "../../../helpers/manual-clock.ts";

interface Sent {
  at: number;
  port: number;
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: number[];
}

/** Records what would go on the wire (the packet buffer is reused, so it is copied here). */
function recorder(clock: ManualClock, sent: Sent[]): DatagramSender {
  return {
    send(data, port) {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      sent.push({
        at: clock.now(),
        port,
        marker: (data[1] ?? 0) >= 0x80,
        payloadType: (data[1] ?? 0) & 0x7f,
        seq: view.getUint16(2),
        timestamp: view.getUint32(4),
        ssrc: view.getUint32(8),
        payload: Array.from(data.subarray(12)),
      });
      return true;
    },
  };
}

function ramp(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

describe("RtpPacer", () => {
  it("sends one packet per stream every 20 ms, the last one short, and finishes with the channel", async () => {
    const clock = new ManualClock(1000);
    const sent: Sent[] = [];
    const socket = recorder(clock, sent);
    const pacer = new RtpPacer({
      streams: [
        { socket, host: "127.0.0.1", port: 4000, payload: ramp(3 * 160 + 40, 0) },
        { socket, host: "127.0.0.1", port: 4002, payload: ramp(160, 100) },
      ],
      payloadType: 8,
      clock,
    });
    let finished = false;
    const run = pacer.run().then(() => {
      finished = true;
    });
    expect(sent.map((p) => p.port)).toEqual([4000, 4002]);
    clock.advance(19);
    expect(sent).toHaveLength(2);
    clock.advance(1);
    expect(sent).toHaveLength(3);
    clock.advance(40);
    await run;

    expect(finished).toBe(true);
    const first = sent.filter((p) => p.port === 4000);
    expect(first.map((p) => p.at)).toEqual([1000, 1020, 1040, 1060]);
    expect(first.map((p) => p.payload.length)).toEqual([160, 160, 160, 40]);
    expect(first.flatMap((p) => p.payload)).toEqual(Array.from(ramp(520, 0)));
    expect(first.map((p) => p.marker)).toEqual([true, false, false, false]);
    expect(first.map((p) => (p.seq - (first[0]?.seq ?? 0)) & 0xffff)).toEqual([0, 1, 2, 3]);
    expect(first.map((p) => (p.timestamp - (first[0]?.timestamp ?? 0)) >>> 0)).toEqual([0, 160, 320, 480]);
    expect(new Set(sent.map((p) => p.payloadType))).toEqual(new Set([8]));
    expect(pacer.packetsSent).toEqual([4, 1]);
    expect(pacer.payloadBytes).toEqual([520, 160]);
    expect(new Set(pacer.ssrcs).size).toBe(2);
    expect(clock.pendingTimers).toBe(0);
  });

  it("sends every packet that fell due when its timer fires late, then returns to the 20 ms grid", async () => {
    // A clock whose single pending timer the test fires by hand, at a time of its choosing.
    let now = 0;
    let pending: { fn: () => void; due: number } | undefined;
    const lateClock: Clock = {
      now: () => now,
      wallUs: () => now * 1000,
      setTimeout: (fn, ms) => {
        pending = { fn, due: now + ms };
        return { id: 1 };
      },
      setInterval: () => ({ id: 2 }),
      clearTimer: () => {
        pending = undefined;
      },
    };
    const sent: number[] = [];
    const socket: DatagramSender = {
      send: () => {
        sent.push(now);
        return true;
      },
    };
    const pacer = new RtpPacer({
      streams: [{ socket, host: "127.0.0.1", port: 4000, payload: ramp(10 * 160, 0) }],
      payloadType: 0,
      clock: lateClock,
    });
    const run = pacer.run();
    expect(pending?.due).toBe(20);
    now = 90;
    pending?.fn();

    expect(sent).toEqual([0, 90, 90, 90, 90]);
    expect(pending?.due).toBe(100);
    pacer.stop();
    await run;
    expect(pacer.packetsSent).toEqual([5]);
  });
});
