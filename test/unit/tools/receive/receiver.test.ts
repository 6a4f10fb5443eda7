import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  EaspGapReason,
  encodeRecord,
  type OpenMessage,
  RecordFlags,
  RecordKind,
  type StreamDesc,
} from "../../../../src/easp/index.ts";
import {
  type EaspReceiver,
  type SessionFile,
  startEaspReceiver,
} from "../../../../src/tools/receive/index.ts";
import { concatBytes, testPayload, until } from "../../../helpers/recorded-call.ts";
import { deinterleave16le, readWav } from "../../../helpers/wav-reader.ts";

/** A bare EASP client: sends what a test says, records what the receiver answers. */
class RawClient {
  readonly received: Array<Record<string, unknown>> = [];
  close: { code: number; reason: string } | undefined;
  readonly #ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (event) => this.received.push(JSON.parse(String(event.data)));
    ws.onclose = (event) => {
      this.close = { code: event.code, reason: event.reason };
    };
  }

  static async connect(port: number, protocols = ["easp.v1"]): Promise<RawClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/stream`, { protocols });
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("connection refused"));
    });
    return client;
  }

  send(message: object): void {
    this.#ws.send(JSON.stringify(message));
  }

  sendBinary(...records: Uint8Array[]): void {
    this.#ws.send(concatBytes(records));
  }

  async next(type: string): Promise<Record<string, unknown>> {
    await until(
      () => this.received.some((m) => m.type === type) || this.close !== undefined,
      `a ${type} message`,
    );
    const index = this.received.findIndex((m) => m.type === type);
    if (index < 0) throw new Error(`closed (${this.close?.code}) before a ${type} message`);
    return this.received.splice(index, 1)[0] as Record<string, unknown>;
  }

  async closed(): Promise<{ code: number; reason: string }> {
    await until(() => this.close !== undefined, "the connection to close");
    return this.close as { code: number; reason: string };
  }

  end(): void {
    this.#ws.close(1000);
  }
}

const callId = "call-0001";
const mono = (codec: StreamDesc["codec"] = "PCMU"): StreamDesc => ({
  streamId: 5,
  label: "1",
  codec,
  rate: 8000,
  channels: 1,
  channelMap: [{ channel: 0, participantId: "p0", siprecStreamId: "s0", label: "1" }],
  firstPos: 0,
  clock: "arrival",
  recordMs: 20,
});

function openMessage(sessionId: string, streams: StreamDesc[], nextSeq = 1): OpenMessage {
  return {
    type: "open",
    v: 1,
    sessionId,
    resume: nextSeq > 1,
    nextSeq,
    callId,
    segment: 0,
    continuationOf: null,
    callEpoch: "2025-01-01T00:00:00.000000Z",
    mode: "per-participant",
    recording: {
      siprecSessionId: "x",
      sipCallId: "y@sbc",
      src: "192.0.2.1:5060",
      startTime: "2025-01-01T00:00:00.000000Z",
    },
    participants: [{ participantId: "p0", aor: "sip:a@example.com", name: "A", role: "customer" }],
    streams,
    appliance: { id: "edge-test", version: "0", clock: { sync: "none" } },
    capabilities: { maxMessageBytes: 65536, replay: true },
  };
}

/** AUDIO record `seq` of stream 5 carrying 20 ms at frame index `frame` (pos = frame × 160). */
function audio(seq: number, frame: number, payload = testPayload(0, frame)): Uint8Array {
  return encodeRecord(
    {
      kind: RecordKind.Audio,
      flags: 0,
      maskOrReason: 1,
      streamId: 5,
      seq,
      pos: frame * 160,
      captureUs: 1_735_689_600_000_000 + frame * 20_000,
      durationSamples: payload.byteLength,
    },
    payload,
  );
}

let outDir: string;
let receiver: EaspReceiver;

beforeEach(async () => {
  outDir = mkdtempSync(join(tmpdir(), "easp-recv-"));
  receiver = await startEaspReceiver({ host: "127.0.0.1", port: 0, outDir, ackIntervalMs: 30 });
});

afterEach(async () => {
  await receiver.close();
  rmSync(outDir, { recursive: true, force: true });
});

const sessionFile = (sessionId: string): SessionFile =>
  JSON.parse(readFileSync(join(outDir, callId, `${sessionId}.json`), "utf8")) as SessionFile;
const wavOf = (sessionId: string) => readWav(join(outDir, callId, `${sessionId}-5.wav`));

describe("reference EASP receiver", () => {
  it("refuses an upgrade that does not offer the easp.v1 subprotocol", async () => {
    await expect(RawClient.connect(receiver.port, ["chat"])).rejects.toThrow();
  });

  it("opens a new session at seq 1 with the window and ack interval it wants", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-new", [mono()]));
    expect(await client.next("opened")).toEqual({
      type: "opened",
      v: 1,
      sessionId: "s-new",
      nextSeq: 1,
      window: { ms: 10_000, bytes: 4 * 1024 * 1024 },
      ackIntervalMs: 30,
      maxMessageBytes: 65_536,
      replay: { maxRate: 0 },
    });
    client.send({ type: "ping", v: 1, t: 1234 });
    expect(await client.next("pong")).toEqual({ type: "pong", v: 1, t: 1234 });
    client.end();
  });

  it("writes PCMU payloads to a µ-law WAV, drops duplicates, acks on sync and answers close with closed", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-dup", [mono()]));
    await client.next("opened");
    client.send({ type: "stream.start", v: 1, seq: 1, ...mono() });
    client.sendBinary(audio(2, 0), audio(3, 1));
    client.sendBinary(audio(2, 0), audio(3, 1), audio(4, 2));
    client.send({ type: "stream.start", v: 1, seq: 1, ...mono() });
    client.send({ type: "sync", v: 1 });
    expect((await client.next("ack")).seq).toBe(4);
    client.send({
      type: "stream.end",
      v: 1,
      seq: 5,
      streamId: 5,
      endPos: 480,
      endCaptureTime: 0,
      reason: "bye",
    });
    client.send({ type: "close", v: 1, reason: "end", finalSeq: 5 });
    expect(await client.next("closed")).toEqual({ type: "closed", v: 1, finalSeq: 5 });
    client.end();

    const wav = wavOf("s-dup");
    expect({ tag: wav.formatTag, channels: wav.channels, rate: wav.rate }).toEqual({
      tag: 7,
      channels: 1,
      rate: 8000,
    });
    expect(wav.data).toEqual(concatBytes([testPayload(0, 0), testPayload(0, 1), testPayload(0, 2)]));
    expect(receiver.stats()).toMatchObject({ records: 3, duplicates: 3, errors: 0 });
    const session = sessionFile("s-dup");
    expect(session.committed).toBe(5);
    expect(session.counts).toEqual({ records: 3, bytes: 480, duplicates: 3 });
  });

  it("writes GAP records as codec silence and lists them, so the WAV keeps the timeline", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-gap", [mono("PCMA")]));
    await client.next("opened");
    const gap = encodeRecord({
      kind: RecordKind.Gap,
      flags: 0,
      maskOrReason: EaspGapReason.PacketLoss,
      streamId: 5,
      seq: 2,
      pos: 160,
      captureUs: 1_735_689_600_020_000,
      durationSamples: 320,
    });
    client.sendBinary(audio(1, 0), gap, audio(3, 3));
    client.send({ type: "sync", v: 1 });
    expect((await client.next("ack")).seq).toBe(3);
    client.end();
    await client.closed();

    expect(wavOf("s-gap").data).toEqual(
      concatBytes([testPayload(0, 0), new Uint8Array(320).fill(0xd5), testPayload(0, 3)]),
    );
    expect(sessionFile("s-gap").streams["5"]?.gaps).toEqual([{ pos: 160, durationSamples: 320, reason: 2 }]);
  });

  it("converts big-endian L16 from the wire into a little-endian 16-bit PCM WAV", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-l16", [mono("L16")]));
    await client.next("opened");
    const samples = Int16Array.from({ length: 160 }, (_, i) => (i - 80) * 300);
    const wire = new Uint8Array(320);
    const view = new DataView(wire.buffer);
    for (const [i, sample] of samples.entries()) view.setInt16(i * 2, sample);
    const record = encodeRecord(
      {
        kind: RecordKind.Audio,
        flags: 0,
        maskOrReason: 1,
        streamId: 5,
        seq: 1,
        pos: 0,
        captureUs: 0,
        durationSamples: 160,
      },
      wire,
    );
    client.sendBinary(record);
    client.send({ type: "sync", v: 1 });
    await client.next("ack");
    client.end();
    await client.closed();

    const wav = wavOf("s-l16");
    expect({ tag: wav.formatTag, bits: wav.bitsPerSample }).toEqual({ tag: 1, bits: 16 });
    expect(deinterleave16le(wav.data, 1)[0]).toEqual(samples);
  });

  it.each([
    { name: "a seq gap", records: () => [audio(1, 0), audio(3, 1)], code: "EASP_SEQ_GAP" },
    { name: "a hole in the timeline", records: () => [audio(1, 0), audio(2, 2)], code: "EASP_POS_MISMATCH" },
    {
      name: "a record of an undeclared stream",
      records: () => [audio(1, 0).fill(9, 4, 8)],
      code: "EASP_UNKNOWN_STREAM",
    },
    { name: "a reserved flag", records: () => [audio(1, 0).fill(0x80, 2, 3)], code: "EASP_RECORD_FLAGS" },
  ])("answers $name with error 4000 and closes with 4000", async ({ records }) => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-bad", [mono()]));
    await client.next("opened");
    client.sendBinary(...records());
    expect(await client.next("error")).toMatchObject({ code: 4000 });
    expect((await client.closed()).code).toBe(4000);
    expect(receiver.stats().errors).toBe(1);
  });

  it("refuses a second connection for a session that is attached (4009)", async () => {
    const first = await RawClient.connect(receiver.port);
    first.send(openMessage("s-twice", [mono()]));
    await first.next("opened");
    const second = await RawClient.connect(receiver.port);
    second.send(openMessage("s-twice", [mono()]));
    expect(await second.next("error")).toMatchObject({ code: 4009 });
    expect((await second.closed()).code).toBe(4009);
    first.end();
  });

  it("resumes a session after a restart at committed + 1 and appends to the same WAV", async () => {
    const port = receiver.port;
    const client = await RawClient.connect(port);
    client.send(openMessage("s-resume", [mono()]));
    await client.next("opened");
    client.sendBinary(audio(1, 0), audio(2, 1));
    client.send({ type: "sync", v: 1 });
    expect((await client.next("ack")).seq).toBe(2);
    await receiver.close();
    await client.closed();
    expect(wavOf("s-resume").riffSize).toBe(wavOf("s-resume").fileSize - 8);

    receiver = await startEaspReceiver({ host: "127.0.0.1", port, outDir, ackIntervalMs: 30 });
    const again = await RawClient.connect(port);
    again.send(openMessage("s-resume", [mono()], 2));
    expect((await again.next("opened")).nextSeq).toBe(3);
    again.sendBinary(audio(2, 1), audio(3, 2));
    again.send({ type: "sync", v: 1 });
    expect((await again.next("ack")).seq).toBe(3);
    again.end();
    await again.closed();

    expect(wavOf("s-resume").data).toEqual(concatBytes([0, 1, 2].map((f) => testPayload(0, f))));
    expect(receiver.stats().duplicates).toBe(1);
  });

  it("accepts a DISCONTINUITY record that re-anchors the timeline and pads the WAV up to it", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-jump", [mono()]));
    await client.next("opened");
    const jumped = audio(2, 5);
    jumped[2] = RecordFlags.Discontinuity;
    client.sendBinary(audio(1, 0), jumped);
    client.send({ type: "sync", v: 1 });
    expect((await client.next("ack")).seq).toBe(2);
    client.end();
    await client.closed();
    expect(wavOf("s-jump").data).toEqual(
      concatBytes([testPayload(0, 0), new Uint8Array(640).fill(0xff), testPayload(0, 5)]),
    );
  });
});

describe("reference EASP receiver: replay, segments, lost state", () => {
  it("counts REPLAY records per stream and keeps a continuation segment in its own session file", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-seg0", [mono()]));
    await client.next("opened");
    const replayed = audio(1, 0);
    replayed[2] = RecordFlags.Replay;
    client.sendBinary(replayed, audio(2, 1));
    client.send({ type: "sync", v: 1 });
    expect((await client.next("ack")).seq).toBe(2);
    client.end();
    await client.closed();

    const next = await RawClient.connect(receiver.port);
    next.send({ ...openMessage("s-seg1", [mono()]), segment: 1, continuationOf: "s-seg0" });
    await next.next("opened");
    next.sendBinary(audio(1, 2));
    next.send({ type: "sync", v: 1 });
    await next.next("ack");
    next.end();
    await next.closed();

    expect(sessionFile("s-seg0")).toMatchObject({ segment: 0, continuationOf: null });
    expect(sessionFile("s-seg0").streams["5"]).toMatchObject({ records: 2, replayRecords: 1 });
    expect(sessionFile("s-seg1")).toMatchObject({ segment: 1, continuationOf: "s-seg0" });
    expect(wavOf("s-seg1").data).toEqual(testPayload(0, 2));
    expect(receiver.stats().replayRecords).toBe(1);
  });

  it("answers nextSeq 1 to a resume of a session it does not know (started on an empty folder)", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-unknown", [mono()], 57));
    expect(await client.next("opened")).toMatchObject({ nextSeq: 1 });
    client.end();
  });

  it("declares its discardBefore in opened when started with one", async () => {
    const declining = await startEaspReceiver({
      host: "127.0.0.1",
      port: 0,
      outDir,
      discardBefore: "2025-01-01T00:00:01.000000Z",
    });
    try {
      const client = await RawClient.connect(declining.port);
      client.send(openMessage("s-declining", [mono()]));
      expect(await client.next("opened")).toMatchObject({ discardBefore: "2025-01-01T00:00:01.000000Z" });
      client.end();
    } finally {
      await declining.close();
    }
  });

  it("writes GAP records of every reason as silence and lists each span with its reason", async () => {
    const client = await RawClient.connect(receiver.port);
    client.send(openMessage("s-reasons", [mono()]));
    await client.next("opened");
    const reasons = Object.values(EaspGapReason);
    const gaps = reasons.map((reason, i) =>
      encodeRecord({
        kind: RecordKind.Gap,
        flags: 0,
        maskOrReason: reason,
        streamId: 5,
        seq: i + 1,
        pos: i * 160,
        captureUs: 1_735_689_600_000_000 + i * 20_000,
        durationSamples: 160,
      }),
    );
    client.sendBinary(...gaps);
    client.send({ type: "sync", v: 1 });
    expect((await client.next("ack")).seq).toBe(reasons.length);
    client.end();
    await client.closed();

    expect(sessionFile("s-reasons").streams["5"]?.gaps).toEqual(
      reasons.map((reason, i) => ({ pos: i * 160, durationSamples: 160, reason })),
    );
    expect(wavOf("s-reasons").data).toEqual(new Uint8Array(reasons.length * 160).fill(0xff));
  });
});
