import { RECORDING_NAMESPACE } from "./metadata-parse.ts";
import type {
  MetadataParticipant,
  MetadataSession,
  MetadataStream,
  SerializableMetadata,
} from "./metadata-types.ts";

const APKT_NAMESPACE = "http://acmepacket.com/siprec/extensiondata";

/**
 * Writes RFC 7865 recording metadata in `urn:ietf:params:xml:ns:recording:1` (the document our SRC
 * sends, and the one SIPREC forwarding sends to a remote SRS).
 *
 * Order: `datamode`, `group`, `session`s, `participant`s, `participantsessionassoc`s, `stream`s,
 * `participantstreamassoc`s, then `extensions` verbatim. A `ucid` not already carried by an extension
 * is written as `<apkt:ucid>…;encoding=hex</apkt:ucid>` inside `<extensiondata>`, the form SRSs read.
 * The draft-era stream `mode` is not written (RFC 7865 has no such element).
 * `parseMetadata(serializeMetadata(m))` gives back `m`, except that `namespace` becomes
 * `…:recording:1`, stream `mode` is dropped and a `ucid` not carried by an extension gains one.
 *
 * @returns the XML document, LF line endings, with an XML declaration.
 */
export function serializeMetadata(model: SerializableMetadata): string {
  const extensions = [...(model.extensions ?? [])];
  if (model.ucid && !extensions.some((ext) => /<(\w+:)?(ucid|AvayaUCID)\b/i.test(ext))) {
    extensions.push(
      `<extensiondata xmlns:apkt="${APKT_NAMESPACE}"><apkt:ucid>${escapeText(model.ucid)};encoding=hex</apkt:ucid></extensiondata>`,
    );
  }
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<recording xmlns="${RECORDING_NAMESPACE}">`,
    `  <datamode>${model.dataMode}</datamode>`,
    ...(model.groupId !== undefined ? [`  <group group_id="${escapeAttr(model.groupId)}"/>`] : []),
    ...model.sessions.map(sessionXml),
    ...model.participants.map(participantXml),
    ...model.participants.flatMap(sessionAssocXml),
    ...model.streams.map(streamXml),
    ...model.participants.flatMap(streamAssocXml),
    ...extensions.map((ext) => `  ${ext}`),
    "</recording>",
  ];
  return `${lines.join("\n")}\n`;
}

function sessionXml(session: MetadataSession): string {
  const children = [
    optional("group-ref", session.groupId),
    optional("sipSessionID", session.sipSessionId),
    optional("start-time", session.startTime),
    optional("end-time", session.endTime),
  ].join("");
  return `  <session session_id="${escapeAttr(session.sessionId)}">${children}</session>`;
}

function participantXml(participant: MetadataParticipant): string {
  const name = participant.name ? `<name>${escapeText(participant.name)}</name>` : "";
  const nameId =
    participant.aor || name ? `<nameID aor="${escapeAttr(participant.aor)}">${name}</nameID>` : "";
  return `  <participant participant_id="${escapeAttr(participant.participantId)}">${nameId}</participant>`;
}

function sessionAssocXml(participant: MetadataParticipant): string[] {
  return participant.sessionIds.map(
    (sessionId) =>
      `  <participantsessionassoc participant_id="${escapeAttr(participant.participantId)}" session_id="${escapeAttr(sessionId)}"/>`,
  );
}

function streamXml(stream: MetadataStream): string {
  const session = stream.sessionId ? ` session_id="${escapeAttr(stream.sessionId)}"` : "";
  return `  <stream stream_id="${escapeAttr(stream.streamId)}"${session}>${optional("label", stream.label || undefined)}</stream>`;
}

function streamAssocXml(participant: MetadataParticipant): string[] {
  if (participant.send.length === 0 && participant.recv.length === 0) return [];
  const send = participant.send.map((id) => `<send>${escapeText(id)}</send>`).join("");
  const recv = participant.recv.map((id) => `<recv>${escapeText(id)}</recv>`).join("");
  return [
    `  <participantstreamassoc participant_id="${escapeAttr(participant.participantId)}">${send}${recv}</participantstreamassoc>`,
  ];
}

function optional(element: string, value: string | undefined): string {
  return value === undefined ? "" : `<${element}>${escapeText(value)}</${element}>`;
}

function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttr(value: string): string {
  return escapeText(value).replace(/"/g, "&quot;");
}
