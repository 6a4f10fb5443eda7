import { randomHex } from "../../lib/index.ts";
import { type AnswerMedia, buildSdp } from "../../sdp/index.ts";
import { buildRecordingBody, type SerializableMetadata, serializeMetadata } from "../../siprec/index.ts";

/** G.711 law of a simulated call and its static RTP payload type (RFC 3551 §6). */
export type SimulatedCodec = "PCMU" | "PCMA";

/** Static payload type of each G.711 law (RFC 3551 §6). */
export const payloadTypeOf: Record<SimulatedCodec, number> = { PCMU: 0, PCMA: 8 };

/** Options of {@link buildRecordingOffer}. */
export interface RecordingOfferOptions {
  /** Our media address (`o=`, `c=`). */
  localAddress: string;
  /** Local RTP ports of m-line 1 (customer) and m-line 2 (agent). */
  ports: [number, number];
  /** The one codec offered on both m-lines. */
  codec: SimulatedCodec;
  /** Avaya-style UCID (hex), written into the metadata as well as the `User-to-User` header. */
  ucid: string;
  /** Recording start, ISO 8601 UTC (`<start-time>`, `<associate-time>`). */
  startTime: string;
}

/** The body of the recording-session INVITE and the metadata ids it uses. */
export interface RecordingOffer {
  /** `multipart/mixed;boundary=…`. */
  contentType: string;
  /** The multipart body (SDP part, then metadata part), CRLF line endings. */
  body: string;
  /** The SDP offer on its own. */
  sdp: string;
  /** The RFC 7865 metadata document on its own. */
  metadataXml: string;
}

/** Labels of the two m-lines (RFC 4574), referenced by `<stream><label>` (RFC 7865 §6.8). */
export const streamLabels = ["1", "2"] as const;

/** A metadata id: base64 of 16 random bytes, the form RFC 7865 §8 examples use. */
function metadataId(): string {
  return Buffer.from(randomHex(16), "hex").toString("base64");
}

function offeredMedia(port: number, codec: SimulatedCodec, label: string): AnswerMedia {
  return {
    type: "audio",
    port,
    proto: "RTP/AVP",
    formats: [{ payloadType: payloadTypeOf[codec], encoding: codec, rate: 8000, channels: 1 }],
    direction: "sendonly",
    label,
    ptime: 20,
  };
}

/**
 * The RFC 7865 model of a two-party call recorded as two separate streams: participant "Customer" sends
 * stream label 1 and receives label 2, participant "Agent" the reverse, `datamode` complete. The
 * customer comes first, as the SRS's default role rule (`customer-first`) expects.
 */
function callMetadata(options: RecordingOfferOptions): SerializableMetadata {
  const sessionId = metadataId();
  const [customerStream, agentStream] = [metadataId(), metadataId()];
  const participant = (aor: string, name: string, send: string, recv: string) => ({
    participantId: metadataId(),
    aor,
    name,
    sessionIds: [sessionId],
    send: [send],
    recv: [recv],
  });
  return {
    dataMode: "complete",
    groupId: metadataId(),
    sessions: [{ sessionId, sipSessionId: randomHex(16), startTime: options.startTime }],
    participants: [
      participant("sip:customer@simulate-call.invalid", "Customer", customerStream, agentStream),
      participant("sip:agent@simulate-call.invalid", "Agent", agentStream, customerStream),
    ],
    streams: [
      { streamId: customerStream, sessionId, label: streamLabels[0] },
      { streamId: agentStream, sessionId, label: streamLabels[1] },
    ],
    ucid: options.ucid,
  };
}

/**
 * Builds what an SRC puts in the body of a recording-session INVITE (RFC 7866 §9, §7.1.1): an SDP
 * offer with two `sendonly` audio m-lines labelled `1` (customer) and `2` (agent), one G.711 format
 * each with `a=ptime:20`, and RFC 7865 metadata binding the two participants to those labels, joined
 * as `multipart/mixed`.
 */
export function buildRecordingOffer(options: RecordingOfferOptions): RecordingOffer {
  const sdp = buildSdp({
    origin: {
      username: "siprec-edge-src",
      sessionId: String(Number.parseInt(randomHex(4), 16)),
      sessionVersion: 1,
      address: options.localAddress,
    },
    sessionName: "siprec-edge simulated call",
    address: options.localAddress,
    media: [
      offeredMedia(options.ports[0], options.codec, streamLabels[0]),
      offeredMedia(options.ports[1], options.codec, streamLabels[1]),
    ],
  });
  const metadataXml = serializeMetadata(callMetadata(options));
  const { contentType, body } = buildRecordingBody(sdp, metadataXml);
  return { contentType, body, sdp, metadataXml };
}
