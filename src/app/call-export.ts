import { PcapRecordBuffer, pcapGlobalHeader } from "../capture/index.ts";
import { type Clock, systemClock } from "../lib/index.ts";
import { buildRtpPacket, buildWav, decodeG711Into } from "../media/index.ts";
import type { SinkUnitStatus } from "../sinks/index.ts";
import {
  type CallRecord,
  FrameFlags,
  FrameKind,
  type FrameRecord,
  type Spool,
  type StreamRecord,
} from "../spool/index.ts";
import type {
  CallDetail,
  CallExporter,
  CallListFilter,
  CallSummary,
  SinkDelivery,
  StreamSummary,
} from "../web/index.ts";

/** Frames read from the spool per batch. */
const batchFrames = 2000;
/** First UDP port of the synthesized pcap: stream n (m-line order) is the flow on port `base + 2n`. */
const pcapBasePort = 40_000;
/** Destination of the synthesized flows (TEST-NET-1, RFC 5737: the capture is rebuilt, not sniffed). */
const pcapDestination = "192.0.2.2";
/** Source when the SRC's address is not IPv4. */
const pcapDefaultSource = "192.0.2.1";
/** A jump of the timeline without a GAP frame is filled with at most this much silence, seconds. */
const maxImplicitFillSeconds = 60;
/** Channels of the call-level WAV (RIFF/WAVE readers cope with up to 8): the first 8 streams. */
const maxWavChannels = 8;
/** G.711 silence (linear 0): µ-law 0xFF, A-law 0xD5. */
const silenceByte = { PCMU: 0xff, PCMA: 0xd5 } as const;

function iso(us: number): string | null {
  return us > 0 ? new Date(Math.floor(us / 1000)).toISOString() : null;
}

function delivery(unit: SinkUnitStatus): SinkDelivery {
  return {
    sink: unit.sink,
    unit: unit.unit,
    sessionId: unit.sessionId,
    state: unit.state,
    sentSeq: unit.sentSeq,
    ackedSeq: unit.ackedSeq,
    reconnects: unit.reconnects,
    lastError: unit.lastError,
    backlogSeconds: Math.max(0, Math.round(unit.backlogMs)) / 1000,
  };
}

function ipv4Of(source: string): string {
  const host = source.slice(0, source.lastIndexOf(":"));
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? host : pcapDefaultSource;
}

/** Reads a stream's frames in order, one batch at a time. */
function* framesOf(spool: Spool, streamId: number): Generator<FrameRecord> {
  let from = 0;
  for (;;) {
    const batch = spool.readFrames(streamId, from, batchFrames);
    yield* batch;
    const last = batch.at(-1);
    if (!last || batch.length < batchFrames) return;
    from = last.idx + 1;
  }
}

/**
 * The spool's calls for the HTTP API (`GET /api/calls…`) and `siprec-edge spool ls|export`: sizes
 * and sink backlogs from the spool and the dispatcher, WAV and pcap files built from the stored
 * frames (read in batches of 2000).
 * - WAV: the stream's codec bytes as recorded (WAVE_FORMAT_MULAW / ALAW), starting at its first
 *   frame; GAP frames and holes in the timeline (`pos`) become silence (a hole without a GAP frame,
 *   after a re-anchored timeline, at most 60 s).
 * - call WAV: 16-bit linear PCM, one channel per stream in m-line order (the first 8), e.g. stereo
 *   customer/agent; each channel decoded from G.711 and placed on the call's timeline (`pos`), so
 *   the channels stay aligned; gaps and holes are silence as in the stream WAV.
 * - pcap: one IPv4/UDP flow per stream, stream n (m-line order) from and to port 40000 + 2n, from
 *   the SRC's SIP address (or 192.0.2.1) to 192.0.2.2; one RTP packet per AUDIO frame with its
 *   original sequence number, timestamp = `pos` (samples since the call epoch), SSRC = stream id,
 *   the marker flag, and the capture time as packet time; streams merged in time order.
 * @param dispatcher the sink dispatcher (delivery state and backlog of each unit).
 * @param options `clock`: "now" for the duration of live calls. @default systemClock
 */
export function createCallExporter(
  spool: Spool,
  dispatcher: { status(callId?: string): SinkUnitStatus[] },
  options: { clock?: Clock } = {},
): CallExporter {
  const clock = options.clock ?? systemClock;

  const summary = (call: CallRecord): CallSummary => {
    const totals = spool.frameTotals(call.callId);
    const sinks = dispatcher.status(call.callId).map(delivery);
    const endUs = call.endedUs > 0 ? call.endedUs : clock.wallUs();
    return {
      callId: call.callId,
      sipCallId: call.sipCallId,
      state: call.state,
      reason: call.reason,
      source: call.source,
      startedAt: iso(call.startedUs) ?? "",
      endedAt: iso(call.endedUs),
      durationMs: Math.max(0, Math.round((endUs - call.startedUs) / 1000)),
      streamCount: spool.listStreams(call.callId).length,
      frames: totals.reduce((sum, t) => sum + t.frames, 0),
      bytes: totals.reduce((sum, t) => sum + t.bytes, 0),
      sinks,
      backlogSeconds: sinks.reduce((max, s) => Math.max(max, s.backlogSeconds), 0),
    };
  };

  const streamSummary = (stream: StreamRecord, index: number, call: CallRecord): StreamSummary => {
    const totals = spool.frameTotals(call.callId).find((t) => t.streamId === stream.streamId);
    const first = spool.readFrames(stream.streamId, 0, 1)[0];
    const last = spool.readFrames(stream.streamId, spool.lastIdx(stream.streamId), 1)[0];
    const span = first && last ? last.pos + last.durationSamples - first.pos : 0;
    return {
      streamId: stream.streamId,
      label: stream.label,
      mlineIndex: stream.mlineIndex,
      codec: stream.codec,
      rate: stream.rate,
      payloadType: stream.payloadType,
      participantId: stream.participantId,
      role: stream.role,
      startedAt: iso(stream.startedUs) ?? "",
      endedAt: iso(stream.endedUs),
      frames: totals?.frames ?? 0,
      audioFrames: totals?.audioFrames ?? 0,
      gapFrames: totals?.gapFrames ?? 0,
      bytes: totals?.bytes ?? 0,
      durationMs: Math.max(0, Math.round((span * 1000) / stream.rate)),
      pcapPort: pcapBasePort + 2 * index,
    };
  };

  return {
    list: (filter: CallListFilter) =>
      spool
        .listCalls(filter.state ? { limit: filter.limit, state: filter.state } : { limit: filter.limit })
        .map(summary),

    get: (callId: string): CallDetail | undefined => {
      const call = spool.getCall(callId);
      if (!call) return undefined;
      return {
        ...summary(call),
        siprecSessionId: call.siprecSessionId,
        correlation: { ...call.correlation },
        participants: call.participants.map((p) => ({ ...p })),
        streams: spool.listStreams(callId).map((s, i) => streamSummary(s, i, call)),
      };
    },

    wav: (callId: string, streamId: number) => {
      const stream = spool.listStreams(callId).find((s) => s.streamId === streamId);
      return stream ? streamWav(spool, stream) : undefined;
    },

    callWav: (callId: string) => {
      const call = spool.getCall(callId);
      return call ? callWav(spool, call) : undefined;
    },

    pcap: (callId: string) => {
      const call = spool.getCall(callId);
      return call ? callPcap(spool, call) : undefined;
    },
  };
}

/** A stream's audio as a WAV file: codec bytes as recorded, gaps and timeline holes as silence. */
function streamWav(spool: Spool, stream: StreamRecord): Uint8Array {
  const silence = silenceByte[stream.codec];
  const maxFill = maxImplicitFillSeconds * stream.rate;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let end: number | undefined;
  const push = (chunk: Uint8Array): void => {
    chunks.push(chunk);
    size += chunk.byteLength;
  };
  for (const frame of framesOf(spool, stream.streamId)) {
    const hole = end === undefined ? 0 : Math.min(frame.pos - end, maxFill);
    if (hole > 0) push(new Uint8Array(hole).fill(silence));
    if (frame.kind === FrameKind.Audio) push(frame.payload);
    else push(new Uint8Array(frame.durationSamples).fill(silence));
    end = frame.pos + frame.durationSamples;
  }
  const data = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  return buildWav({ format: stream.codec, rate: stream.rate, channels: 1, data });
}

/**
 * One stream decoded to linear samples on the call's timeline: it starts `first pos − originPos`
 * samples in, and gaps and holes are silence (holes without a GAP frame at most 60 s, as in
 * {@link streamWav}).
 */
function linearTrack(spool: Spool, stream: StreamRecord, originPos: number): Int16Array {
  const maxFill = maxImplicitFillSeconds * stream.rate;
  const chunks: Array<{ at: number; frame: FrameRecord }> = [];
  let length = 0;
  let end: number | undefined;
  for (const frame of framesOf(spool, stream.streamId)) {
    length += Math.max(0, Math.min(frame.pos - (end ?? originPos), maxFill));
    if (frame.kind === FrameKind.Audio) chunks.push({ at: length, frame });
    length += frame.kind === FrameKind.Audio ? frame.payload.length : frame.durationSamples;
    end = frame.pos + frame.durationSamples;
  }
  const track = new Int16Array(length);
  for (const { at, frame } of chunks) decodeG711Into(stream.codec, frame.payload, track.subarray(at));
  return track;
}

/** The call as one WAV: L16, one channel per stream (m-line order, the first 8), aligned on the call's timeline. */
function callWav(spool: Spool, call: CallRecord): Uint8Array {
  const streams = spool.listStreams(call.callId).slice(0, maxWavChannels);
  const firsts = streams.map((s) => spool.readFrames(s.streamId, 0, 1)[0]?.pos ?? Number.POSITIVE_INFINITY);
  const origin = Math.min(...firsts);
  const tracks = streams.map((s) => linearTrack(spool, s, Number.isFinite(origin) ? origin : 0));
  const channels = Math.max(1, tracks.length);
  const frames = tracks.reduce((max, t) => Math.max(max, t.length), 0);
  const data = new Uint8Array(frames * channels * 2);
  const view = new DataView(data.buffer);
  tracks.forEach((track, channel) => {
    for (let i = 0; i < track.length; i++) view.setInt16((i * channels + channel) * 2, track[i] ?? 0, true);
  });
  return buildWav({ format: "L16", rate: streams[0]?.rate ?? 8000, channels, data });
}

/** The call's RTP rebuilt from the spool: one UDP flow per stream, packets merged by capture time. */
function callPcap(spool: Spool, call: CallRecord): Uint8Array {
  const source = ipv4Of(call.source);
  const flows = spool.listStreams(call.callId).map((stream, i) => ({
    stream,
    endpoint: { ip: source, port: pcapBasePort + 2 * i },
    frames: audioFramesOf(spool, stream.streamId),
    head: undefined as FrameRecord | undefined,
  }));
  for (const flow of flows) flow.head = flow.frames.next().value ?? undefined;
  const records = new PcapRecordBuffer();
  for (;;) {
    let next: (typeof flows)[number] | undefined;
    for (const flow of flows) {
      if (flow.head && (!next?.head || flow.head.captureUs < next.head.captureUs)) next = flow;
    }
    const frame = next?.head;
    if (!next || !frame) break;
    records.appendUdp(
      frame.captureUs,
      next.endpoint.ip,
      next.endpoint.port,
      pcapDestination,
      next.endpoint.port,
      buildRtpPacket({
        payloadType: next.stream.payloadType,
        seq: frame.rtpSeq,
        timestamp: frame.pos,
        ssrc: next.stream.streamId,
        marker: (frame.flags & FrameFlags.Marker) !== 0,
        payload: frame.payload,
      }),
    );
    next.head = next.frames.next().value ?? undefined;
  }
  const header = pcapGlobalHeader();
  const body = records.take();
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

function* audioFramesOf(spool: Spool, streamId: number): Generator<FrameRecord, undefined> {
  for (const frame of framesOf(spool, streamId)) if (frame.kind === FrameKind.Audio) yield frame;
  return undefined;
}
