/**
 * The vendor SIPREC corpus: reading `test/fixtures/siprec/vendors/*.sip` and summarising what the
 * codec makes of each message. Shared by `vendors.test.ts` and `scripts/gen-fixtures.ts`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSdp, type SdpFormat } from "../../../src/sdp/index.ts";
import {
  bindStreams,
  extractCorrelation,
  isSiprecInvite,
  parseMetadata,
  type RecordingMetadata,
  splitRecordingBody,
} from "../../../src/siprec/index.ts";

/** Folder of the corpus. */
export const vendorsDir = join(import.meta.dirname, "../../fixtures/siprec/vendors");

/** A SIP request as stored in a fixture: start line, headers, raw body bytes. */
export interface SipFixture {
  name: string;
  startLine: string;
  /** Header values in order of appearance, keyed by lower-case name. */
  headers: Map<string, string[]>;
  body: Uint8Array;
}

const COMPACT: Readonly<Record<string, string>> = {
  c: "content-type",
  m: "contact",
  k: "supported",
  l: "content-length",
};

/** Basenames (without `.sip`) of every fixture, sorted. */
export function listFixtures(): string[] {
  return readdirSync(vendorsDir)
    .filter((file) => file.endsWith(".sip"))
    .map((file) => file.slice(0, -".sip".length))
    .sort();
}

/** Splits a stored message at its first empty line (CRLFCRLF or LFLF), without the SIP stack. */
export function readFixture(name: string): SipFixture {
  const bytes = new Uint8Array(readFileSync(join(vendorsDir, `${name}.sip`)));
  const text = new TextDecoder("latin1").decode(bytes);
  const crlf = text.indexOf("\r\n\r\n");
  const lf = text.indexOf("\n\n");
  const useLf = lf >= 0 && (crlf < 0 || lf < crlf);
  const headEnd = useLf ? lf : crlf;
  if (headEnd < 0) throw new Error(`${name}.sip has no empty line after the headers`);
  const lines = text
    .slice(0, headEnd)
    .replace(/\r?\n[ \t]+/g, " ")
    .split(/\r?\n/);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const raw = line.slice(0, colon).trim().toLowerCase();
    const key = COMPACT[raw] ?? raw;
    headers.set(key, [...(headers.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  return { name, startLine: lines[0] ?? "", headers, body: bytes.subarray(headEnd + (useLf ? 2 : 4)) };
}

/** Case-insensitive lookup of a header's first value, as the SIP layer offers it. */
export function headerLookup(fixture: SipFixture): (name: string) => string | undefined {
  return (name) => fixture.headers.get(name.toLowerCase())?.[0];
}

function formatText(format: SdpFormat): string {
  const channels = format.channels > 1 ? `/${format.channels}` : "";
  const fmtp = format.fmtp === undefined ? "" : ` ${format.fmtp}`;
  return `${format.payloadType} ${format.encoding}/${format.rate}${channels}${fmtp}`;
}

function metadataSummary(metadata: RecordingMetadata) {
  return {
    namespace: metadata.namespace,
    dataMode: metadata.dataMode,
    groupId: metadata.groupId ?? null,
    ucid: metadata.ucid ?? null,
    sessions: metadata.sessions,
    participants: metadata.participants.map((p) => ({
      id: p.participantId,
      aor: p.aor,
      name: p.name,
      sessionIds: p.sessionIds,
      send: p.send,
      recv: p.recv,
    })),
    streams: metadata.streams.map((s) => ({ id: s.streamId, label: s.label, mode: s.mode ?? null })),
    extensions: metadata.extensions.map((ext) => /^<([^\s/>]+)/.exec(ext)?.[1] ?? ext),
  };
}

/** What the codec makes of one fixture: the golden `.expected.json` content. */
export function summarize(fixture: SipFixture) {
  const getHeader = headerLookup(fixture);
  const body = splitRecordingBody(getHeader("Content-Type"), fixture.body);
  const sdp = body.sdp === "" ? undefined : parseSdp(body.sdp);
  const metadata = body.metadata ? parseMetadata(body.metadata.xml) : undefined;
  const labels = sdp?.media.map((m) => m.label ?? "") ?? [];
  return {
    startLine: fixture.startLine,
    isSiprec: isSiprecInvite(getHeader),
    body: {
      contentType: getHeader("Content-Type") ?? null,
      sdp: sdp !== undefined,
      metadataContentType: body.metadata?.contentType ?? null,
      ignoredParts: body.ignoredParts,
    },
    mLines:
      sdp?.media.map((m) => ({
        index: m.index,
        label: m.label ?? null,
        direction: m.direction,
        address: m.address,
        port: m.port,
        formats: m.formats.map(formatText),
      })) ?? [],
    metadata: metadata ? metadataSummary(metadata) : null,
    bindings: bindStreams(metadata, labels),
    correlation: extractCorrelation(getHeader, metadata),
  };
}

/** The golden file path of a fixture. */
export function expectedPath(name: string): string {
  return join(vendorsDir, `${name}.expected.json`);
}

/** Serialises a summary the way the golden files are written. */
export function toGoldenJson(summary: ReturnType<typeof summarize>): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}
