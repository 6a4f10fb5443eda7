import { MetadataParseError } from "./errors.ts";
import type {
  DataMode,
  MetadataParticipant,
  MetadataSession,
  MetadataStream,
  RecordingMetadata,
} from "./metadata-types.ts";
import { parseXmlTree, type XmlElement } from "./xml-tree.ts";

/** RFC 7865 namespace. */
export const RECORDING_NAMESPACE = "urn:ietf:params:xml:ns:recording:1";

/** Accepted roots: local name → namespaces (`""` = none declared). See vendor-quirks.ts. */
const ROOTS: ReadonlyMap<string, readonly string[]> = new Map([
  ["recording", [RECORDING_NAMESPACE, "urn:ietf:params:xml:ns:recording", ""]],
  ["recording_metadata", ["urn:ietf:params:xml:ns:siprec", ""]],
]);

/** Known children per parent (lower-case local names); anything else is kept as an extension. */
const KNOWN = {
  root: new Set([
    "datamode",
    "group",
    "session",
    "participant",
    "stream",
    "sessionrecordingassoc",
    "participantsessionassoc",
    "participantstreamassoc",
    "recording",
  ]),
  group: new Set(["associate-time", "disassociate-time", "initiator"]),
  session: new Set([
    "sipsessionid",
    "start-time",
    "end-time",
    "group-ref",
    "associate-time",
    "disassociate-time",
  ]),
  participant: new Set(["nameid", "aor", "name", "send", "recv", "associate-time", "disassociate-time"]),
  stream: new Set(["label", "mode", "content-type", "associate-time", "disassociate-time"]),
} as const;

/** Parse state: the model plus the namespace that counts as "ours". */
interface Context {
  metadata: RecordingMetadata;
  namespace: string;
  byParticipantId: Map<string, MetadataParticipant>;
}

/**
 * Parses RFC 7865 recording metadata, tolerant of the vendor variants listed in vendor-quirks.ts:
 * namespaces `…:recording:1`, `…:recording` (prefixed or not) and BroadWorks' `recording_metadata` in
 * `urn:ietf:params:xml:ns:siprec`; `datamode`/`dataMode`; `nameID aor=` or `<aor>`; ids as
 * `session_id`/`participant_id`/`stream_id` or draft-style `id` + `session=`; stream associations in
 * `participantstreamassoc` or inside `<participant>`, as text or `<id>` children. Unknown elements are
 * kept verbatim in `extensions`; the Avaya UCID is taken from `apkt:ucid` or `ac:AvayaUCID`.
 *
 * @param xml - the metadata part's text.
 * @throws MetadataParseError (`SIPREC_BAD_METADATA`, status 400) on malformed XML, a DOCTYPE or an unknown root.
 */
export function parseMetadata(xml: string): RecordingMetadata {
  const root = parseXmlTree(xml.replace(/^\uFEFF/, ""));
  if (!ROOTS.get(root.local)?.includes(root.namespace)) {
    throw new MetadataParseError(`unknown metadata root <${root.name}> in namespace "${root.namespace}"`);
  }
  const ctx: Context = {
    metadata: {
      namespace: root.namespace,
      dataMode: "complete",
      sessions: [],
      participants: [],
      streams: [],
      extensions: [],
    },
    namespace: root.namespace,
    byParticipantId: new Map(),
  };
  const associations: XmlElement[] = [];
  for (const child of root.children) {
    const kind = knownKind(ctx, child, KNOWN.root);
    if (kind === undefined) ctx.metadata.extensions.push(child.raw);
    else if (kind === "datamode") ctx.metadata.dataMode = toDataMode(child.text);
    else if (kind === "group") readGroup(ctx, child);
    else if (kind === "session") ctx.metadata.sessions.push(readSession(ctx, child));
    else if (kind === "participant") readParticipant(ctx, child);
    else if (kind === "stream") ctx.metadata.streams.push(readStream(ctx, child));
    else if (kind === "participantsessionassoc" || kind === "participantstreamassoc")
      associations.push(child);
  }
  for (const assoc of associations) readAssociation(ctx, assoc);
  const ucid = findUcid(root);
  if (ucid !== undefined) ctx.metadata.ucid = ucid;
  return ctx.metadata;
}

/** True when the element is in the root's namespace or in none (sloppy prefixing is tolerated). */
function isOurs(ctx: Context, el: XmlElement): boolean {
  return el.namespace === ctx.namespace || el.namespace === "";
}

/** Lower-case local name if the element is ours and known here, else undefined. */
function knownKind(ctx: Context, el: XmlElement, known: ReadonlySet<string>): string | undefined {
  const kind = el.local.toLowerCase();
  return isOurs(ctx, el) && known.has(kind) ? kind : undefined;
}

function toDataMode(text: string): DataMode {
  return text.toLowerCase() === "partial" ? "partial" : "complete";
}

/** First attribute present among the names (matched by local name, case-insensitive). */
function attr(el: XmlElement, ...names: string[]): string | undefined {
  for (const wanted of names) {
    for (const [key, value] of el.attributes) {
      const local = key.slice(key.indexOf(":") + 1).toLowerCase();
      if (local === wanted && !key.startsWith("xmlns")) return value.trim();
    }
  }
  return undefined;
}

function childText(ctx: Context, el: XmlElement, kind: string): string | undefined {
  return el.children.find((c) => isOurs(ctx, c) && c.local.toLowerCase() === kind)?.text;
}

function readGroup(ctx: Context, el: XmlElement): void {
  const id = attr(el, "group_id", "id");
  if (id && ctx.metadata.groupId === undefined) ctx.metadata.groupId = id;
  keepUnknownChildren(ctx, el, KNOWN.group);
}

function readSession(ctx: Context, el: XmlElement): MetadataSession {
  const session: MetadataSession = { sessionId: attr(el, "session_id", "id") ?? "" };
  const sipSessionId = childText(ctx, el, "sipsessionid");
  const startTime = childText(ctx, el, "start-time");
  const endTime = childText(ctx, el, "end-time");
  const groupId = childText(ctx, el, "group-ref") ?? attr(el, "group_id", "group");
  if (sipSessionId) session.sipSessionId = sipSessionId;
  if (startTime) session.startTime = startTime;
  if (endTime) session.endTime = endTime;
  if (groupId) session.groupId = groupId;
  keepUnknownChildren(ctx, el, KNOWN.session);
  return session;
}

function readParticipant(ctx: Context, el: XmlElement): void {
  const participant = participantById(ctx, attr(el, "participant_id", "id") ?? "");
  addUnique(participant.sessionIds, [attr(el, "session_id", "session") ?? ""]);
  for (const child of el.children) {
    const kind = knownKind(ctx, child, KNOWN.participant);
    if (kind === "nameid") {
      participant.aor ||= attr(child, "aor") ?? childText(ctx, child, "aor") ?? "";
      participant.name ||= childText(ctx, child, "name") ?? "";
    } else if (kind === "aor") participant.aor ||= child.text;
    else if (kind === "name") participant.name ||= child.text;
    else if (kind === "send") addUnique(participant.send, streamIdsOf(child));
    else if (kind === "recv") addUnique(participant.recv, streamIdsOf(child));
  }
  keepUnknownChildren(ctx, el, KNOWN.participant);
}

function readStream(ctx: Context, el: XmlElement): MetadataStream {
  const stream: MetadataStream = {
    streamId: attr(el, "stream_id", "id") ?? "",
    sessionId: attr(el, "session_id", "session") ?? "",
    label: childText(ctx, el, "label") ?? "",
  };
  const mode = childText(ctx, el, "mode");
  if (mode) stream.mode = mode.toLowerCase();
  keepUnknownChildren(ctx, el, KNOWN.stream);
  return stream;
}

/** `participantsessionassoc` and `participantstreamassoc` (RFC 7865 §6.9, §6.10). */
function readAssociation(ctx: Context, el: XmlElement): void {
  const participantId = attr(el, "participant_id", "participant");
  if (participantId === undefined) return;
  const participant = participantById(ctx, participantId);
  if (el.local.toLowerCase() === "participantsessionassoc") {
    addUnique(participant.sessionIds, [attr(el, "session_id", "session") ?? ""]);
    return;
  }
  for (const child of el.children) {
    const kind = child.local.toLowerCase();
    if (kind === "send") addUnique(participant.send, streamIdsOf(child));
    else if (kind === "recv") addUnique(participant.recv, streamIdsOf(child));
  }
}

/** `<send>id</send>` or draft-style `<send><id>…</id></send>`. */
function streamIdsOf(el: XmlElement): string[] {
  return el.children.length > 0 ? el.children.map((c) => c.text) : [el.text];
}

function participantById(ctx: Context, id: string): MetadataParticipant {
  let participant = ctx.byParticipantId.get(id);
  if (!participant) {
    participant = { participantId: id, aor: "", name: "", sessionIds: [], send: [], recv: [] };
    ctx.byParticipantId.set(id, participant);
    ctx.metadata.participants.push(participant);
  }
  return participant;
}

function addUnique(list: string[], values: string[]): void {
  for (const value of values) if (value !== "" && !list.includes(value)) list.push(value);
}

function keepUnknownChildren(ctx: Context, el: XmlElement, known: ReadonlySet<string>): void {
  for (const child of el.children) {
    if (knownKind(ctx, child, known) === undefined) ctx.metadata.extensions.push(child.raw);
  }
}

/** Avaya UCID from `apkt:ucid` (`00FA08…;encoding=hex`) or `ac:AvayaUCID` (`FA08…`, leading `00` dropped). */
function findUcid(root: XmlElement): string | undefined {
  const pending = [root];
  for (let el = pending.pop(); el; el = pending.pop()) {
    const local = el.local.toLowerCase();
    if ((local === "ucid" || local === "avayaucid") && el.text) return normalizeUcid(el.text);
    pending.push(...[...el.children].reverse());
  }
  return undefined;
}

/** The hex UCID before any `;` parameter, with the `00` that AudioCodes drops restored. */
export function normalizeUcid(value: string): string {
  const hex = value.split(";")[0]?.trim() ?? "";
  return /^FA08[0-9A-F]{16}$/i.test(hex) ? `00${hex}` : hex;
}
