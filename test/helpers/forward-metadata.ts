import { XMLParser } from "fast-xml-parser";

/** A participant of RFC 7865 metadata with the labels of the streams it sends. */
export interface MetadataParticipant {
  participantId: string;
  aor: string;
  name: string;
  /** `<label>` of every stream the participant sends (`participantstreamassoc/send`). */
  sendsLabels: string[];
}

/** What the forwarding tests read from the RFC 7865 metadata we send as SRC. */
export interface ForwardMetadataView {
  /** `<stream><label>` values in document order. */
  streamLabels: string[];
  participants: MetadataParticipant[];
  /** The replay extension (`urn:siprec-edge:params:xml:ns:replay:1`), when present. */
  replay?: { originalStart: string; spanStart: string; spanEnd: string; sourceSession: string };
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const text = (value: unknown): string =>
  typeof value === "object" && value !== null
    ? String((value as { "#text"?: unknown })["#text"] ?? "")
    : String(value ?? "");

/**
 * Reads RFC 7865 metadata (namespace prefixes removed) into participants, their names and AORs and
 * the labels of the streams they send, and our replay extension.
 */
export function readForwardMetadata(xml: string): ForwardMetadataView {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", removeNSPrefix: true });
  const recording = (parser.parse(xml) as { recording?: Record<string, unknown> }).recording ?? {};
  type Node = Record<string, unknown>;
  const streams = asArray(recording.stream as Node | Node[]);
  const labelOf = new Map(streams.map((s) => [String(s["@stream_id"]), text(s.label)]));
  const sends = new Map<string, string[]>();
  for (const assoc of asArray(recording.participantstreamassoc as Node | Node[])) {
    const labels = asArray(assoc.send as unknown).map((id) => labelOf.get(text(id)) ?? `?${text(id)}`);
    sends.set(String(assoc["@participant_id"]), labels);
  }
  const participants = asArray(recording.participant as Node | Node[]).map((p) => {
    const nameId = asArray(p.nameID as Node | Node[])[0] ?? {};
    const id = String(p["@participant_id"]);
    return {
      participantId: id,
      aor: String(nameId["@aor"] ?? ""),
      name: text(nameId.name),
      sendsLabels: sends.get(id) ?? [],
    };
  });
  const extension = asArray(recording.extensiondata as Node | Node[]).find((e) => e.replay !== undefined);
  const replay = extension?.replay as Node | undefined;
  return {
    streamLabels: streams.map((s) => text(s.label)),
    participants,
    ...(replay
      ? {
          replay: {
            originalStart: text(replay["original-start-time"]),
            spanStart: text(replay["span-start"]),
            spanEnd: text(replay["span-end"]),
            sourceSession: text(replay["source-session"]),
          },
        }
      : {}),
  };
}
