import type { RecordingOfferDirection, RecordingOfferInput } from "../../sdp/index.ts";
import {
  applyForwardOverrides,
  buildRecordingMetadata,
  type ForwardOverrides,
  type OutboundParticipant,
  type OutboundStream,
} from "../../siprec/index.ts";
import type { CallRecord, StreamRecord } from "../../spool/index.ts";
import type { ForwardCodec, ReplayInfo } from "./forward-types.ts";

/** RFC 8866 §9 `token`: what an `a=label` we write must be (RFC 4574 §4). */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/** Participants and streams of a forward session as our metadata and SDP show them (overrides applied). */
export interface ForwardParties {
  participants: OutboundParticipant[];
  /** One per forwarded stream, in m-line order; `label` is the `a=label` of its m-line. */
  streams: OutboundStream[];
}

/**
 * The participants and labelled streams of a forward session, from the recorded call (RFC 7866 §7.1.1:
 * `a=label` of each m-line = `<label>` of its `<stream>`). A received label that is not an SDP token
 * becomes `s<m-line>`, a repeated one gets `-<n>`; then the caller / called-party overrides are applied
 * (an unusable label override is dropped, the name and user overrides are kept).
 */
export function forwardParties(
  call: CallRecord,
  streams: readonly StreamRecord[],
  overrides: ForwardOverrides,
): ForwardParties {
  const participants: OutboundParticipant[] = call.participants.map((p) => ({
    participantId: p.participantId,
    aor: p.aor,
    name: p.name,
    role: p.role,
  }));
  const seen = new Set<string>();
  const outbound = streams.map((stream): OutboundStream => {
    let label = TOKEN.test(stream.label) ? stream.label : `s${stream.mlineIndex}`;
    for (let n = 2; seen.has(label); n++) label = `${label}-${n}`;
    seen.add(label);
    return { label, participantId: stream.participantId };
  });
  try {
    return applyForwardOverrides(participants, outbound, overrides);
  } catch {
    const withoutLabels: ForwardOverrides = {};
    if (overrides.caller) withoutLabels.caller = { ...overrides.caller, label: undefined };
    if (overrides.calledParty) withoutLabels.calledParty = { ...overrides.calledParty, label: undefined };
    return applyForwardOverrides(participants, outbound, withoutLabels);
  }
}

/** Times of a replay session, µs since the Unix epoch. */
export interface ReplaySpanUs {
  spanStartUs: number;
  spanEndUs: number;
}

/**
 * Our own RFC 7865 metadata of a forward session (never a copy of the inbound XML): the call's start,
 * its Session-ID when known, the participants and streams; for a replay, the replay extension with the
 * original start, the span and our call id.
 */
export function forwardMetadata(call: CallRecord, parties: ForwardParties, replay?: ReplaySpanUs): string {
  const sipSessionId = call.correlation.sessionId;
  return buildRecordingMetadata({
    sessionIdentifiers: sipSessionId ? { sipSessionId } : {},
    startTime: call.startedUs,
    participants: parties.participants,
    streams: parties.streams,
    ...(replay
      ? {
          replay: {
            originalStartUs: call.startedUs,
            spanStartUs: replay.spanStartUs,
            spanEndUs: replay.spanEndUs,
            sourceSessionId: call.callId,
          },
        }
      : {}),
  });
}

/** The replay facts of events and the `X-Siprec-Edge-Replay` header, as ISO 8601 UTC with ms. */
export function replayInfo(call: CallRecord, span: ReplaySpanUs): ReplayInfo {
  return {
    originalStart: isoOf(call.startedUs),
    spanStart: isoOf(span.spanStartUs),
    spanEnd: isoOf(span.spanEndUs),
  };
}

/** What varies between the offers of one session. */
export interface OfferFields {
  /** SDP `o=` user name (the appliance id). */
  username: string;
  /** Software version, in `s=`. */
  version: string;
  /** `o=` session id, fixed for the session. */
  sessionId: string;
  /** `o=` version: 1, then +1 per changed offer (RFC 3264 §8). */
  sessionVersion: number;
  /** Our address in `o=` and `c=`. */
  address: string;
  /** Our RTP port per stream. */
  ports: readonly number[];
  /** `a=crypto` value per stream (SDES), or none for plain RTP. */
  crypto: readonly string[] | undefined;
  /** Codec offered. */
  codec: ForwardCodec;
  /** `sendonly` while recording, `inactive` while paused (RFC 7866 §12.1). */
  direction: RecordingOfferDirection;
}

/** The input of `buildRecordingOffer` for a forward session: one sendonly m-line per forwarded stream. */
export function offerInput(parties: ForwardParties, fields: OfferFields): RecordingOfferInput {
  return {
    origin: {
      username: TOKEN.test(fields.username) ? fields.username : "-",
      sessionId: fields.sessionId,
      sessionVersion: fields.sessionVersion,
      address: fields.address,
    },
    sessionName: `siprec-edge ${fields.version}`.replace(/[\r\n\0]/g, ""),
    address: fields.address,
    direction: fields.direction,
    streams: parties.streams.map((stream, i) => ({
      port: fields.ports[i] ?? 0,
      label: stream.label,
      codecs: [fields.codec],
      ...(fields.crypto?.[i] !== undefined ? { crypto: [fields.crypto[i]] } : {}),
    })),
  };
}

/** ISO 8601 UTC with ms from µs since the Unix epoch. */
export function isoOf(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}
