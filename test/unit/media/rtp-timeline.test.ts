import { afterEach, describe, expect, it } from "vitest";
import { FrameFlags, FrameKind, GapReason } from "../../../src/spool/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { dtmfPayload, Harness, holes, run } from "./rtp-harness.ts";

const open: Harness[] = [];
async function harness(...args: ConstructorParameters<typeof Harness>): Promise<Harness> {
  const h = new Harness(...args);
  open.push(h);
  return h.start();
}
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});

const summary = (h: Harness) => h.frames.map((f) => [f.kind, f.gapReason, f.pos, f.durationSamples]);

describe("RTP receiver: timeline", () => {
  it("gives the second stream of a call a pos offset by its start on the shared epoch", async () => {
    const clock = new ManualClock();
    const callClock = { epochUs: 0 };
    const first = await harness({}, clock, callClock);
    const second = await harness({}, clock, callClock);
    const t0 = clock.wallUs();
    await first.send(run(1, 1), { stepMs: 30 });
    await second.send(run(500, 2, 90_000), { stepMs: 20 });
    expect(callClock.epochUs).toBe(t0);
    expect(first.frames.map((f) => f.pos)).toEqual([0]);
    expect(second.frames.map((f) => [f.pos, f.captureUs - t0])).toEqual([
      [240, 30_000],
      [400, 50_000],
    ]);
  });

  it("marks DTX (a timestamp advance with no sequence gap) as a NoMedia gap", async () => {
    const h = await harness();
    await h.send(run(1, 2));
    h.clock.advance(180);
    await h.send([{ seq: 3, ts: 1000 + 12 * 160 }]);
    expect(summary(h)).toEqual([
      [FrameKind.Audio, 0, 0, 160],
      [FrameKind.Audio, 0, 160, 160],
      [FrameKind.Gap, GapReason.NoMedia, 320, 1440],
      [FrameKind.Audio, 0, 1760, 160],
    ]);
    expect(h.receiver.stats().packetsLost).toBe(0);
  });

  it("treats comfort noise (PT 13) as no media, not as audio or loss", async () => {
    const h = await harness();
    await h.send(run(1, 2));
    await h.send([{ seq: 3, ts: 1000 + 3 * 160, pt: 13, payload: new Uint8Array([64]) }]);
    h.clock.advance(160);
    await h.send([{ seq: 4, ts: 1000 + 12 * 160 }]);
    expect(summary(h)).toEqual([
      [FrameKind.Audio, 0, 0, 160],
      [FrameKind.Audio, 0, 160, 160],
      [FrameKind.Gap, GapReason.NoMedia, 320, 1440],
      [FrameKind.Audio, 0, 1760, 160],
    ]);
  });

  it("starts a new anchor with DISCONTINUITY on an SSRC change, with a gap for the silent span", async () => {
    const h = await harness();
    await h.send(run(1, 3));
    h.clock.advance(500);
    await h.send(run(9000, 2, 777_000, { ssrc: 0x5555 }));
    expect(summary(h)).toEqual([
      [FrameKind.Audio, 0, 0, 160],
      [FrameKind.Audio, 0, 160, 160],
      [FrameKind.Audio, 0, 320, 160],
      [FrameKind.Gap, GapReason.NoMedia, 480, 4000],
      [FrameKind.Audio, 0, 4480, 160],
      [FrameKind.Audio, 0, 4640, 160],
    ]);
    expect(h.frames.map((f) => f.flags & FrameFlags.Discontinuity)).toEqual([0, 0, 0, 0, 2, 0]);
    expect(h.receiver.stats().ssrc).toBe(0x5555);
  });

  it("never lets pos go backwards when the new SSRC's wall-clock anchor falls inside the last frame", async () => {
    const h = await harness();
    await h.send(run(1, 3), { stepMs: 5 });
    await h.send(run(40, 2, 0, { ssrc: 0x7777 }), { stepMs: 5 });
    expect(holes(h.frames)).toEqual([]);
    expect(h.frames.map((f) => f.pos)).toEqual([0, 160, 320, 480, 640]);
    expect(h.frames[3]?.flags).toBe(FrameFlags.Discontinuity);
  });

  it("drops a straggler of the previous SSRC that arrives just after the change", async () => {
    const h = await harness();
    await h.send(run(1, 2));
    await h.send(run(1, 1, 50_000, { ssrc: 0x9999 }));
    await h.send([{ seq: 3, ts: 1000 + 3 * 160 }]);
    expect(h.frames).toHaveLength(3);
    expect(h.receiver.stats()).toMatchObject({ ssrc: 0x9999, packetsLate: 1 });
  });

  it("re-anchors with DISCONTINUITY when the RTP timestamp jumps by far more than the arrival time", async () => {
    const h = await harness();
    await h.send(run(1, 3));
    await h.send([
      { seq: 4, ts: 1000 + 4 * 160 + 80_000 },
      { seq: 5, ts: 1000 + 5 * 160 + 80_000 },
      { seq: 6, ts: 1000 + 6 * 160 - 40_000 },
    ]);
    expect(holes(h.frames)).toEqual([]);
    expect(h.frames.map((f) => f.pos)).toEqual([0, 160, 320, 480, 640, 800]);
    expect(h.frames.map((f) => f.flags & FrameFlags.Discontinuity)).toEqual([0, 0, 0, 2, 0, 2]);
  });

  it("follows the RTP timestamps rather than the arrival times (jitter does not move pos)", async () => {
    const h = await harness();
    for (const [i, step] of [35, 5, 30, 10, 20].entries())
      await h.send([{ seq: i + 1, ts: (i + 1) * 160 }], { stepMs: step });
    expect(h.frames.map((f) => f.pos)).toEqual([0, 160, 320, 480, 640]);
    const jitterMs = h.receiver.stats().jitterMs;
    expect(jitterMs).toBeGreaterThan(0);
    expect(jitterMs).toBeLessThan(15);
  });

  it("reports zero jitter for perfectly paced packets", async () => {
    const h = await harness();
    await h.send(run(1, 10));
    expect(h.receiver.stats().jitterMs).toBe(0);
  });
});

describe("RTP receiver: DTMF, pause, level", () => {
  it("reports an RFC 4733 event once, with its start pos and duration, and not as audio", async () => {
    const h = await harness();
    await h.send(run(1, 1));
    const eventTs = 1000 + 2 * 160;
    const event = [160, 320, 480].map((d, i) => ({
      seq: 2 + i,
      ts: eventTs,
      pt: 101,
      payload: dtmfPayload(5, false, d),
    }));
    const end = [3, 4, 5].map((_, i) => ({
      seq: 5 + i,
      ts: eventTs,
      pt: 101,
      payload: dtmfPayload(5, true, 640),
    }));
    await h.send([...event, ...end]);
    await h.send([{ seq: 8, ts: eventTs + 640 }]);
    expect(h.dtmf).toEqual([
      { digit: "5", pos: 160, durationSamples: 640, captureUs: h.callClock.epochUs + 20_000 },
    ]);
    expect(summary(h)).toEqual([
      [FrameKind.Audio, 0, 0, 160],
      [FrameKind.Gap, GapReason.NoMedia, 160, 640],
      [FrameKind.Audio, 0, 800, 160],
    ]);
  });

  it("reports an event whose end packets were lost when the next event starts", async () => {
    const h = await harness();
    await h.send([
      { seq: 1, ts: 0, pt: 101, payload: dtmfPayload(11, false, 160) },
      { seq: 2, ts: 800, pt: 101, payload: dtmfPayload(10, false, 160) },
      { seq: 3, ts: 800, pt: 101, payload: dtmfPayload(10, true, 320) },
    ]);
    expect(h.dtmf.map((e) => [e.digit, e.pos, e.durationSamples])).toEqual([
      ["#", 0, 160],
      ["*", 800, 320],
    ]);
  });

  it("turns audio into PausedPolicy gaps while paused, hides DTMF, and resumes", async () => {
    const h = await harness();
    await h.send(run(1, 1));
    h.receiver.setPaused(true);
    await h.send(run(2, 2));
    await h.send([{ seq: 4, ts: 5000, pt: 101, payload: dtmfPayload(1, true, 160) }]);
    h.receiver.setPaused(false);
    await h.send([{ seq: 5, ts: 1000 + 5 * 160 }]);
    expect(summary(h)).toEqual([
      [FrameKind.Audio, 0, 0, 160],
      [FrameKind.Gap, GapReason.PausedPolicy, 160, 160],
      [FrameKind.Gap, GapReason.PausedPolicy, 320, 160],
      [FrameKind.Gap, GapReason.PausedPolicy, 480, 160],
      [FrameKind.Audio, 0, 640, 160],
    ]);
    expect(h.frames[1]?.payload.length).toBe(0);
    expect(h.dtmf).toEqual([]);
  });

  it("shows the peak level of recent audio and falls back to 0 when it is old", async () => {
    const h = await harness();
    await h.send([{ seq: 1, ts: 0, fill: 0x00 }]);
    expect(h.receiver.stats().level).toBe(32124);
    h.clock.advance(1000);
    expect(h.receiver.stats().level).toBe(0);
    await h.send([{ seq: 2, ts: 160, fill: 0xff }]);
    expect(h.receiver.stats().level).toBe(0);
  });
});
