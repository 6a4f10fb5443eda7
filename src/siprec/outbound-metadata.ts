import { createHash, randomBytes } from "node:crypto";
import { RECORDING_NAMESPACE } from "./metadata-parse.ts";

/** Namespace of our replay extension element (`<se:extensiondata>`), see {@link buildRecordingMetadata}. */
export const REPLAY_NAMESPACE = "urn:siprec-edge:params:xml:ns:replay:1";

/** Role of a participant in the recorded call (same values as the spool's `ParticipantRole`). */
export type OutboundParticipantRole = "agent" | "customer" | "unknown";

/** A participant of the recorded CS, as the spool knows it (RFC 7865 §6.5). */
export interface OutboundParticipant {
  /** Id of the participant in the inbound metadata; only used to bind streams, never written. */
  participantId: string;
  /** Address of record as received (`sip:1001@pbx`, `+15551234`, `1001@host`); `""` if unknown. */
  aor: string;
  /** Display name; `""` if none. */
  name: string;
  /** Role from the routing rules: `customer` is the caller, `agent` the called party. */
  role: OutboundParticipantRole;
}

/** One forwarded stream: one m-line of our offer, sent by one participant (RFC 7865 §6.8). */
export interface OutboundStream {
  /** RFC 4574 `a=label` of the m-line that carries the stream in our offer. */
  label: string;
  /** `participantId` of the {@link OutboundParticipant} that sends it. */
  participantId: string;
}

/** Overrides of one party, as in a `startSIPRecForward` command's `caller` / `calledParty`. */
export interface PartyOverride {
  /** Display name to write instead of the received one. */
  name?: string;
  /** User part to put in the AOR instead of the received one (`sip:USER@host`). */
  user?: string;
  /** `a=label` for the party's (first) stream instead of the received label; an RFC 8866 token. */
  label?: string;
}

/** Caller (`customer` role) and called party (`agent` role) overrides of a forward session. */
export interface ForwardOverrides {
  /** Applied to the caller: the first `customer` participant, else the first participant. */
  caller?: PartyOverride;
  /** Applied to the called party: the first `agent` participant, else the first other participant. */
  calledParty?: PartyOverride;
}

/** What a replay session carries (store-and-forward, issue #5 item 5). All times µs since the Unix epoch. */
export interface ReplaySpan {
  /** Start of the original (inbound) recording session. */
  originalStartUs: number;
  /** Capture time of the first replayed sample. */
  spanStartUs: number;
  /** Capture time just after the last replayed sample. */
  spanEndUs: number;
  /** Our id of the recorded call the audio comes from (the spool's `callId`). */
  sourceSessionId: string;
}

/** Identifiers of the recorded CS known from the inbound side. */
export interface OutboundSessionIdentifiers {
  /** RFC 7989 Session-ID of the CS (e.g. `ab30317f…;remote=47755a9d…`), written as `<sipSessionID>`. */
  sipSessionId?: string;
}

/** Input of {@link buildRecordingMetadata}. */
export interface RecordingMetadataInput {
  /** Identifiers of the recorded CS. */
  sessionIdentifiers: OutboundSessionIdentifiers;
  /** Start of the CS (`<start-time>`, association times), µs since the Unix epoch. */
  startTime: number;
  /** Participants of the CS, in the order they are written. */
  participants: readonly OutboundParticipant[];
  /** One entry per forwarded m-line, in m-line order. */
  streams: readonly OutboundStream[];
  /** Caller / called-party overrides (name, AOR user, label). */
  overrides?: ForwardOverrides;
  /** Marks the session as a replay of spooled audio. */
  replay?: ReplaySpan;
  /** Makes every id a function of this text (tests); without it ids are random. */
  seed?: string;
}

/** Participants and streams after {@link applyForwardOverrides}. */
export interface OverriddenParties {
  /** Participants with the overridden names and AORs. */
  participants: OutboundParticipant[];
  /** Streams with the overridden labels; the SDP offer must use these labels. */
  streams: OutboundStream[];
}

/**
 * Applies `startSIPRecForward` caller / calledParty overrides (name, AOR user, stream label) to the
 * participants and streams of a forward session, without changing the inputs. Call it once and use
 * its streams' labels for the SDP offer too, so `a=label` and `<label>` agree (RFC 7866 §7.1.1).
 * Applying it twice gives the same result.
 *
 * @throws RangeError if an override label is not an RFC 8866 token, or equals another stream's label.
 */
export function applyForwardOverrides(
  participants: readonly OutboundParticipant[],
  streams: readonly OutboundStream[],
  overrides: ForwardOverrides | undefined,
): OverriddenParties {
  const out: OverriddenParties = {
    participants: participants.map((p) => ({ ...p })),
    streams: streams.map((s) => ({ ...s })),
  };
  const [caller, called] = callerAndCalled(out.participants);
  if (caller && overrides?.caller) applyParty(out, caller, overrides.caller);
  if (called && overrides?.calledParty) applyParty(out, called, overrides.calledParty);
  return out;
}

/**
 * Builds **our own** RFC 7865 recording metadata for a SIPREC forward session, in which we are the
 * SRC (RFC 7866 §6.1): `<datamode>complete</datamode>`, one `<group>`, one `<session>` (with
 * `<sipSessionID>` when known, `<group-ref>` and `<start-time>`), one `<participant>` per participant
 * with `<nameID aor><name>`, one `<stream>` per forwarded m-line with its `<label>`, a
 * `<participantsessionassoc>` per participant and a `<participantstreamassoc>` per participant that
 * sends (`<send>`) its own streams and receives (`<recv>`) the others'. Elements follow the order of
 * the RFC 7865 XML schema's `recording` sequence.
 *
 * Ids are the base64 of 16 bytes (as in RFC 7865 §6's examples): random, or derived from `seed`
 * with SHA-256 when one is given. With `replay`, a `<se:extensiondata>` in {@link REPLAY_NAMESPACE}
 * ends the document:
 * `<se:replay><se:original-start-time/><se:span-start/><se:span-end/><se:source-session/></se:replay>`
 * (times as xs:dateTime in UTC with ms). Every text and attribute is escaped, and characters XML 1.0
 * cannot carry (controls, lone surrogates) become U+FFFD, since AORs and names come from the network.
 *
 * @returns the XML document (UTF-8 declaration, LF line endings), for an `application/rs-metadata+xml` part.
 * @throws RangeError for a non-finite time, or an invalid override label (see {@link applyForwardOverrides}).
 */
export function buildRecordingMetadata(input: RecordingMetadataInput): string {
  const { participants, streams } = applyForwardOverrides(input.participants, input.streams, input.overrides);
  const newId = idSource(input.seed);
  const startTime = isoTime(input.startTime);
  const groupId = newId("group");
  const sessionId = newId("session");
  const participantIds = participants.map((_, i) => newId(`participant:${i}`));
  const streamIds = streams.map((_, i) => newId(`stream:${i}`));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<recording xmlns="${RECORDING_NAMESPACE}">`,
    "  <datamode>complete</datamode>",
    `  <group group_id="${groupId}">`,
    `    <associate-time>${startTime}</associate-time>`,
    "  </group>",
    `  <session session_id="${sessionId}">`,
    ...optionalLine("    ", "sipSessionID", input.sessionIdentifiers.sipSessionId),
    `    <group-ref>${groupId}</group-ref>`,
    `    <start-time>${startTime}</start-time>`,
    "  </session>",
    ...participants.flatMap((p, i) => participantLines(p, participantIds[i] ?? "")),
    ...streams.flatMap((s, i) => streamLines(s, streamIds[i] ?? "", sessionId)),
    ...participantIds.flatMap((id) => sessionAssocLines(id, sessionId, startTime)),
    ...participants.flatMap((p, i) => streamAssocLines(p, participantIds[i] ?? "", streams, streamIds)),
    ...(input.replay ? replayLines(input.replay) : []),
    "</recording>",
  ];
  return `${lines.join("\n")}\n`;
}

/** RFC 8866 §9 `token` characters (the syntax of an RFC 4574 label we write). */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/**
 * The caller is the first `customer`, else the first participant that is not an `agent`; the called
 * party is the first other `agent`, else the first other participant. Without roles (two unknown
 * participants) that is the first and the second, the order SRCs list the calling and called party in.
 */
function callerAndCalled(
  participants: readonly OutboundParticipant[],
): [OutboundParticipant | undefined, OutboundParticipant | undefined] {
  let caller =
    participants.find((p) => p.role === "customer") ?? participants.find((p) => p.role !== "agent");
  const called =
    participants.find((p) => p.role === "agent" && p !== caller) ?? participants.find((p) => p !== caller);
  caller ??= participants.find((p) => p !== called);
  return [caller, called];
}

function applyParty(out: OverriddenParties, participant: OutboundParticipant, override: PartyOverride): void {
  if (override.name !== undefined) participant.name = override.name;
  if (override.user !== undefined) participant.aor = withUser(participant.aor, override.user);
  if (override.label === undefined) return;
  const label = override.label;
  if (!TOKEN.test(label)) throw new RangeError(`override label ${JSON.stringify(label)} is not an SDP token`);
  const own = out.streams.find((s) => s.participantId === participant.participantId);
  if (!own) return;
  if (out.streams.some((s) => s !== own && s.label === label)) {
    throw new RangeError(`override label ${JSON.stringify(label)} is already the label of another stream`);
  }
  own.label = label;
}

/**
 * The AOR with its user part replaced: `sip:1001@pbx` → `sip:USER@pbx`, `tel:+1555` → `tel:USER`,
 * `sip:pbx` → `sip:USER@pbx`, a bare `1001` or `""` → `USER`.
 */
function withUser(aor: string, user: string): string {
  const scheme = /^(sips?|tel):/i.exec(aor)?.[0] ?? "";
  const rest = aor.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  if (at >= 0) return `${scheme}${user}${rest.slice(at)}`;
  if (/^sips?:$/i.test(scheme) && rest !== "") return `${scheme}${user}@${rest}`;
  return `${scheme}${user}`;
}

/** Id generator: base64 of 16 random bytes, or of the first 16 bytes of SHA-256(seed, kind). */
function idSource(seed: string | undefined): (kind: string) => string {
  if (seed === undefined) return () => randomBytes(16).toString("base64");
  return (kind) =>
    createHash("sha256").update(`${seed}\u0000${kind}`).digest().subarray(0, 16).toString("base64");
}

/** xs:dateTime in UTC with ms, from µs since the Unix epoch. */
function isoTime(us: number): string {
  if (!Number.isFinite(us)) throw new RangeError(`time ${us} µs is not a finite number`);
  return new Date(Math.floor(us / 1000)).toISOString();
}

function participantLines(p: OutboundParticipant, id: string): string[] {
  const name = p.name.trim() === "" ? [] : [`      <name>${escapeText(p.name)}</name>`];
  return [
    `  <participant participant_id="${id}">`,
    ...(name.length > 0
      ? [`    <nameID aor="${escapeAttr(p.aor)}">`, ...name, "    </nameID>"]
      : [`    <nameID aor="${escapeAttr(p.aor)}"/>`]),
    "  </participant>",
  ];
}

function streamLines(stream: OutboundStream, id: string, sessionId: string): string[] {
  return [
    `  <stream stream_id="${id}" session_id="${sessionId}">`,
    `    <label>${escapeText(stream.label)}</label>`,
    "  </stream>",
  ];
}

function sessionAssocLines(participantId: string, sessionId: string, time: string): string[] {
  return [
    `  <participantsessionassoc participant_id="${participantId}" session_id="${sessionId}">`,
    `    <associate-time>${time}</associate-time>`,
    "  </participantsessionassoc>",
  ];
}

function streamAssocLines(
  p: OutboundParticipant,
  id: string,
  streams: readonly OutboundStream[],
  streamIds: readonly string[],
): string[] {
  if (streams.length === 0) return [];
  const send = streamIds.filter((_, i) => streams[i]?.participantId === p.participantId);
  const recv = streamIds.filter((_, i) => streams[i]?.participantId !== p.participantId);
  return [
    `  <participantstreamassoc participant_id="${id}">`,
    ...send.map((streamId) => `    <send>${streamId}</send>`),
    ...recv.map((streamId) => `    <recv>${streamId}</recv>`),
    "  </participantstreamassoc>",
  ];
}

function replayLines(replay: ReplaySpan): string[] {
  return [
    `  <se:extensiondata xmlns:se="${REPLAY_NAMESPACE}">`,
    "    <se:replay>",
    `      <se:original-start-time>${isoTime(replay.originalStartUs)}</se:original-start-time>`,
    `      <se:span-start>${isoTime(replay.spanStartUs)}</se:span-start>`,
    `      <se:span-end>${isoTime(replay.spanEndUs)}</se:span-end>`,
    `      <se:source-session>${escapeText(replay.sourceSessionId)}</se:source-session>`,
    "    </se:replay>",
    "  </se:extensiondata>",
  ];
}

function optionalLine(indent: string, element: string, value: string | undefined): string[] {
  return value === undefined || value === ""
    ? []
    : [`${indent}<${element}>${escapeText(value)}</${element}>`];
}

/** Characters XML 1.0 §2.2 does not allow, even as references: C0 controls but TAB/LF/CR, U+FFFE/F, lone surrogates. */
const NOT_XML_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what XML 1.0 forbids.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/** Element text: markup characters and CR escaped (CR would be normalised away otherwise). */
function escapeText(value: string): string {
  return value.replace(NOT_XML_CHAR, "\uFFFD").replace(/[&<>\r]/g, (c) => ESCAPES[c] ?? c);
}

/** Attribute value: also quotes and TAB/LF/CR, which attribute-value normalisation would turn into spaces. */
function escapeAttr(value: string): string {
  return value.replace(NOT_XML_CHAR, "\uFFFD").replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}
