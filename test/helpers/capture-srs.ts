import type { udp } from "bun";
import { createSipStack, type SipStack } from "../../src/sip/index.ts";

/** What a {@link CaptureSrs} received on one m-line of one call. */
export interface CapturedStream {
  /** RTP packets received (RFC 3550), duplicates included. */
  packets: number;
  /** The payloads of every packet, in arrival order, concatenated. */
  payload: Uint8Array;
  /** Distinct SSRCs seen. */
  ssrcs: number[];
  /** Distinct payload types seen. */
  payloadTypes: number[];
  /** Packets whose sequence number was not the previous one + 1 (loss, reordering or duplicates). */
  sequenceBreaks: number;
  /** Packets that arrived after the BYE. */
  packetsAfterBye: number;
  /** Arrival of the first and the last packet, `performance.now()` ms (NaN before any packet). */
  firstArrivalMs: number;
  lastArrivalMs: number;
}

/** One call a {@link CaptureSrs} answered. */
export interface CapturedCall {
  /** SIP Call-ID of the INVITE. */
  sipCallId: string;
  /** The INVITE's User-to-User header value, or "". */
  userToUser: string;
  /** Whether the SRC sent BYE. */
  ended: boolean;
  /** When the INVITE and the BYE arrived, `performance.now()` ms (NaN before the BYE). */
  invitedAtMs: number;
  byeAtMs: number;
  /** m-line 1 and m-line 2, in SDP order. */
  mline1: CapturedStream;
  mline2: CapturedStream;
}

/** A SIPREC SRS stand-in (see {@link startCaptureSrs}). */
export interface CaptureSrs {
  /** SIP port on 127.0.0.1. */
  readonly port: number;
  /** Every call answered so far, in INVITE order. */
  calls(): CapturedCall[];
  /** Stops SIP and closes every RTP socket. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startCaptureSrs}. */
export interface CaptureSrsOptions {
  /** SIP transport to listen on. */
  transport: "udp" | "tcp";
}

/** Per m-line receive state. */
interface StreamSink {
  socket: udp.Socket<"uint8array">;
  chunks: Uint8Array[];
  bytes: number;
  packets: number;
  ssrcs: Set<number>;
  payloadTypes: Set<number>;
  lastSeq: number;
  sequenceBreaks: number;
  packetsAfterBye: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
}

interface CallState {
  sipCallId: string;
  userToUser: string;
  /** Shared with the call's two sinks. */
  ended: { value: boolean };
  invitedAtMs: number;
  byeAtMs: number;
  streams: [StreamSink, StreamSink];
}

const rtpHeaderBytes = 12;

/**
 * Starts a minimal SIPREC SRS stand-in on 127.0.0.1 for testing the SRC side (SIPp load runs): it
 * answers every INVITE with `200` and an SDP-only answer (RFC 7866 §9) of two `recvonly` m-lines, each
 * on its own fresh UDP port and with the payload type the offer listed first, answers BYE with `200`,
 * and keeps every RTP payload (RFC 3550, fixed 12-byte header assumed, no CSRC or extension) it gets.
 * It checks nothing about SIPREC: the appliance is the SRS under test; this only measures the load.
 */
export async function startCaptureSrs(options: CaptureSrsOptions): Promise<CaptureSrs> {
  const stack: SipStack = createSipStack({
    listen: [{ transport: options.transport, host: "127.0.0.1", port: 0 }],
  });
  const calls: CallState[] = [];
  /** Our SIP port, known once the stack listens (before any request arrives). */
  let port = 0;
  const byCallId = new Map<string, CallState>();
  stack.onRequest("INVITE", async (request) => {
    const callId = request.message.callId ?? "";
    let call = byCallId.get(callId);
    if (!call) {
      const ended = { value: false };
      call = {
        sipCallId: callId,
        userToUser: request.message.header("user-to-user") ?? "",
        ended,
        invitedAtMs: performance.now(),
        byeAtMs: Number.NaN,
        streams: [await openSink(ended), await openSink(ended)],
      };
      calls.push(call);
      byCallId.set(callId, call);
    }
    const offered = [...request.message.bodyText.matchAll(/m=audio \d+ RTP\/AVP (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    request.reply(200, "OK", {
      headers: { Contact: `<sip:capture-srs@127.0.0.1:${port};transport=${options.transport}>` },
      contentType: "application/sdp",
      body: answerSdp(
        call.streams.map((s, i) => ({ port: s.socket.port, pt: offered[i] ?? 0, label: i + 1 })),
      ),
    });
  });
  stack.onRequest("BYE", (request) => {
    const call = byCallId.get(request.message.callId ?? "");
    if (call && !call.ended.value) {
      call.ended.value = true;
      call.byeAtMs = performance.now();
    }
    request.reply(200, "OK");
  });
  stack.onRequest("OPTIONS", (request) => {
    request.reply(200, "OK");
  });
  await stack.start();
  port = stack.listening()[0]?.port ?? 0;
  let closed = false;
  return {
    port,
    calls: () =>
      calls.map((c) => ({
        sipCallId: c.sipCallId,
        userToUser: c.userToUser,
        ended: c.ended.value,
        invitedAtMs: c.invitedAtMs,
        byeAtMs: c.byeAtMs,
        mline1: snapshot(c.streams[0]),
        mline2: snapshot(c.streams[1]),
      })),
    async close() {
      if (closed) return;
      closed = true;
      await stack.close();
      for (const call of calls) for (const sink of call.streams) sink.socket.close();
    },
  };

  async function openSink(ended: { value: boolean }): Promise<StreamSink> {
    const sink: StreamSink = {
      socket: undefined as unknown as udp.Socket<"uint8array">,
      chunks: [],
      bytes: 0,
      packets: 0,
      ssrcs: new Set(),
      payloadTypes: new Set(),
      lastSeq: -1,
      sequenceBreaks: 0,
      packetsAfterBye: 0,
      firstArrivalMs: Number.NaN,
      lastArrivalMs: Number.NaN,
    };
    sink.socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      binaryType: "uint8array",
      socket: {
        data(_socket, data) {
          if (data.length < rtpHeaderBytes || data[0] === undefined || (data[0] & 0xc0) !== 0x80) return;
          const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
          const seq = view.getUint16(2);
          if (sink.lastSeq >= 0 && seq !== ((sink.lastSeq + 1) & 0xffff)) sink.sequenceBreaks += 1;
          sink.lastSeq = seq;
          sink.lastArrivalMs = performance.now();
          if (sink.packets === 0) sink.firstArrivalMs = sink.lastArrivalMs;
          sink.packets += 1;
          sink.ssrcs.add(view.getUint32(8));
          sink.payloadTypes.add(view.getUint8(1) & 0x7f);
          sink.chunks.push(data.slice(rtpHeaderBytes));
          sink.bytes += data.length - rtpHeaderBytes;
          if (ended.value) sink.packetsAfterBye += 1;
        },
      },
    });
    return sink;
  }
}

function snapshot(sink: StreamSink): CapturedStream {
  const payload = new Uint8Array(sink.bytes);
  let at = 0;
  for (const chunk of sink.chunks) {
    payload.set(chunk, at);
    at += chunk.length;
  }
  return {
    packets: sink.packets,
    payload,
    ssrcs: [...sink.ssrcs],
    payloadTypes: [...sink.payloadTypes],
    sequenceBreaks: sink.sequenceBreaks,
    packetsAfterBye: sink.packetsAfterBye,
    firstArrivalMs: sink.firstArrivalMs,
    lastArrivalMs: sink.lastArrivalMs,
  };
}

function answerSdp(mlines: { port: number; pt: number; label: number }[]): string {
  const rtpmap: Record<number, string> = { 0: "PCMU/8000", 8: "PCMA/8000" };
  return [
    "v=0",
    "o=capture-srs 1 1 IN IP4 127.0.0.1",
    "s=capture",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    ...mlines.flatMap((m) => [
      `m=audio ${m.port} RTP/AVP ${m.pt}`,
      `a=rtpmap:${m.pt} ${rtpmap[m.pt] ?? "PCMU/8000"}`,
      `a=label:${m.label}`,
      "a=recvonly",
    ]),
    "",
  ].join("\r\n");
}
