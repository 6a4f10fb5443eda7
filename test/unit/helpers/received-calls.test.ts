import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EaspGapReason, RecordFlags, type StreamDesc } from "../../../src/easp/index.ts";
import { type EaspReceiver, startEaspReceiver } from "../../../src/tools/index.ts";
import { EaspTestSession, testOpenMessage, testStreamDesc } from "../../helpers/easp-test-session.ts";
import { readReceivedCalls } from "../../helpers/received-calls.ts";
import { concatBytes, testPayload } from "../../helpers/recorded-call.ts";

const callId = "call-0001";
const stream = testStreamDesc;
const openMessage = (
  sessionId: string,
  streams: StreamDesc[],
  segment = 0,
  continuationOf: string | null = null,
) => testOpenMessage(callId, sessionId, streams, { segment, continuationOf });
const Session = EaspTestSession;

/** The payload bytes of `frames` of stream `streamId`, as `Session.audio` sent them. */
const payloadOf = (streamId: number, frames: number[]) =>
  concatBytes(frames.map((frame) => testPayload(streamId, frame)));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

let outDir: string;
let receiver: EaspReceiver;

beforeEach(async () => {
  outDir = await mkdtemp(join(tmpdir(), "received-calls-"));
  receiver = await startEaspReceiver({ host: "127.0.0.1", port: 0, outDir, ackIntervalMs: 30 });
});

afterEach(async () => {
  await receiver.close();
  await rm(outDir, { recursive: true, force: true });
});

describe("readReceivedCalls", () => {
  it("joins a stream's continuation segments in timeline order into one call stream", async () => {
    const first = await Session.open(receiver.port, openMessage("s-seg0", [stream(1, "1")]));
    first.audio(1, range(0, 5));
    first.gap(1, 5, 3, EaspGapReason.PacketLoss);
    first.audio(1, range(8, 10), RecordFlags.Replay);
    await first.end(1, 10, "segment-cut");
    const second = await Session.open(receiver.port, openMessage("s-seg1", [stream(1, "1")], 1, "s-seg0"));
    second.audio(1, range(10, 14));
    await second.end(1, 14, "bye");

    const calls = await readReceivedCalls(outDir);

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call).toMatchObject({
      callId,
      sipCallId: "7-1234@127.0.0.1",
      label: "1",
      format: "PCMU",
      rootSessionId: "s-seg0",
      records: 12,
      gapRecords: 1,
      duplicates: 0,
      contiguous: true,
      endReasons: ["segment-cut", "bye"],
    });
    expect(call?.parts.map((p) => [p.sessionId, p.segment, p.firstPos, p.samples])).toEqual([
      ["s-seg0", 0, 0, 1600],
      ["s-seg1", 1, 1600, 640],
    ]);
    expect(call?.gaps).toEqual([{ pos: 800, durationSamples: 480, reason: EaspGapReason.PacketLoss }]);
    expect(Buffer.from(call?.data ?? [])).toEqual(
      Buffer.from(
        concatBytes([
          payloadOf(1, range(0, 5)),
          new Uint8Array(480).fill(0xff),
          payloadOf(1, range(8, 10)),
          payloadOf(1, range(10, 14)),
        ]),
      ),
    );
  });

  it("keeps labels, formats and unrelated sessions of one call apart, and counts duplicates", async () => {
    const agent = await Session.open(receiver.port, openMessage("s-agent", [stream(1, "1")]));
    agent.audio(1, range(0, 3));
    agent.resendAudio(1, 2, 1);
    await agent.end(1, 3, "bye");
    const customer = await Session.open(receiver.port, openMessage("s-customer", [stream(2, "2")]));
    customer.audio(2, range(0, 2));
    await customer.end(2, 2, "bye");
    const otherSink = await Session.open(receiver.port, openMessage("s-pcma", [stream(1, "1", "PCMA")]));
    otherSink.audio(1, range(0, 1));
    await otherSink.end(1, 1, "bye");

    const calls = await readReceivedCalls(outDir);

    expect(calls.map((c) => [c.format, c.label, c.rootSessionId, c.records, c.duplicates])).toEqual([
      ["PCMA", "1", "s-pcma", 1, 0],
      ["PCMU", "1", "s-agent", 3, 1],
      ["PCMU", "2", "s-customer", 2, 0],
    ]);
    expect(Buffer.from(calls[1]?.data ?? [])).toEqual(Buffer.from(payloadOf(1, range(0, 3))));
    expect(Buffer.from(calls[2]?.data ?? [])).toEqual(Buffer.from(payloadOf(2, range(0, 2))));
  });

  it("treats a segment whose predecessor is not in the folder as the start of its own chain", async () => {
    const orphan = await Session.open(
      receiver.port,
      openMessage("s-after-loss", [stream(1, "1")], 2, "s-gone"),
    );
    orphan.gap(1, 0, 50, EaspGapReason.Discarded);
    orphan.audio(1, range(50, 52));
    await orphan.end(1, 52, "bye");

    const [call] = await readReceivedCalls(outDir);

    expect(call?.rootSessionId).toBe("s-after-loss");
    expect(call?.gaps).toEqual([{ pos: 0, durationSamples: 8000, reason: EaspGapReason.Discarded }]);
    expect(call?.data.byteLength).toBe(8000 + 320);
    expect(call?.replayRecords).toBe(0);
  });
});
