import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { GapSpan, SessionFile, StreamState } from "../../src/tools/index.ts";
import { wavData } from "./received.ts";

/** One session's share of a {@link ReceivedCallStream}. */
export interface ReceivedPart {
  sessionId: string;
  /** `open.segment`. */
  segment: number;
  /** EASP stream id within the session. */
  streamId: number;
  /** `pos` of the part's first sample (samples since the call epoch), or null if it got no record. */
  firstPos: number | null;
  /** Samples (per channel) of committed WAV data, silence written for GAP records included. */
  samples: number;
}

/**
 * Everything `siprec-edge receive` committed for one stream label of one call, across the sessions
 * of one continuation chain (a session and the segments whose `open.continuationOf` leads to it).
 */
export interface ReceivedCallStream {
  /** EASP call id (the appliance's UUIDv7). */
  callId: string;
  /** SIP Call-ID of the SIPREC dialog (`open.recording.sipCallId`), e.g. SIPp's `1-1234@127.0.0.1`. */
  sipCallId: string;
  /** RFC 7865 session id (`open.recording.siprecSessionId`). */
  siprecSessionId: string;
  /** The stream's label (the m-line's `a=label`, or `interleaved`). */
  label: string;
  /** `PCMU`, `PCMA` or `L16`. */
  format: string;
  channels: number;
  /** The chain's first session (its `continuationOf` is null or names a session not in `outDir`). */
  rootSessionId: string;
  /** The parts in timeline order (`firstPos`, then segment). */
  parts: ReceivedPart[];
  /** Whether each part starts where the previous one ended on the timeline (no hole, no overlap). */
  contiguous: boolean;
  /** The committed WAV data of every part, concatenated in timeline order (G.711 bytes or L16 LE). */
  data: Uint8Array;
  /** AUDIO and GAP records written. */
  records: number;
  /** Records that carried the REPLAY flag (0 when the receiver does not count them). */
  replayRecords: number;
  /** GAP records written. */
  gapRecords: number;
  /** Gap spans of every part, in timeline order (`reason` is the EASP GAP reason code). */
  gaps: GapSpan[];
  /**
   * Durable items dropped as duplicates: the stream's own count when the receiver keeps one, else
   * its session's count (`counts.duplicates`, which in per-participant mode is the stream's).
   */
  duplicates: number;
  /** `reason` of every `stream.end` of the parts, in timeline order (`bye`, `segment-cut`, `recovered`…). */
  endReasons: string[];
}

/** A stream's state as written by any receiver version (fields it may not have yet are optional). */
type StreamStateJson = StreamState & { replayRecords?: number; duplicates?: number };

interface LoadedSession {
  file: SessionFile;
  dir: string;
}

/**
 * Reads every session `siprec-edge receive` wrote under `outDir` (`<callId>/<sessionId>.json` +
 * `<sessionId>-<streamId>.wav`) and returns one entry per (call, continuation chain, label, format,
 * channels), sorted by call id, format and label. Two sinks sending the same call to one receiver give
 * two entries per label (one chain each); filter by `format` or `rootSessionId`. Each part's WAV data
 * is cut to the size the session file says was committed (`dataBytes`).
 * @throws Error when a session file or WAV cannot be read.
 */
export async function readReceivedCalls(outDir: string): Promise<ReceivedCallStream[]> {
  const groups = new Map<string, { session: LoadedSession; streamId: number; state: StreamStateJson }[]>();
  const roots = new Map<string, string>();
  for (const callId of await readdir(outDir)) {
    const sessions = await readCallSessions(join(outDir, callId));
    for (const session of sessions.values()) {
      const root = rootOf(session.file, sessions);
      roots.set(session.file.sessionId, root);
      for (const [id, state] of Object.entries(session.file.streams)) {
        const key = [session.file.callId, root, state.desc.label, state.desc.codec, state.desc.channels].join(
          "\n",
        );
        const group = groups.get(key) ?? [];
        group.push({ session, streamId: Number(id), state });
        groups.set(key, group);
      }
    }
  }
  const out: ReceivedCallStream[] = [];
  for (const members of groups.values()) out.push(await assemble(members, roots));
  return out.sort(
    (a, b) =>
      a.callId.localeCompare(b.callId) ||
      a.format.localeCompare(b.format) ||
      a.label.localeCompare(b.label, "en", { numeric: true }) ||
      a.rootSessionId.localeCompare(b.rootSessionId),
  );
}

/** Session files of one call folder, by session id (`*.json`, not the `*.json.tmp` of a crashed write). */
async function readCallSessions(dir: string): Promise<Map<string, LoadedSession>> {
  const sessions = new Map<string, LoadedSession>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith(".json"))) {
    const file = JSON.parse(await readFile(join(dir, name), "utf8")) as SessionFile;
    sessions.set(file.sessionId, { file, dir });
  }
  return sessions;
}

/** Follows `open.continuationOf` back to the first session present in the folder. */
function rootOf(file: SessionFile, sessions: Map<string, LoadedSession>): string {
  let current = file;
  const seen = new Set<string>([current.sessionId]);
  for (;;) {
    const previous = current.open.continuationOf;
    const next = previous ? sessions.get(previous)?.file : undefined;
    if (!next || seen.has(next.sessionId)) return current.sessionId;
    seen.add(next.sessionId);
    current = next;
  }
}

async function assemble(
  members: { session: LoadedSession; streamId: number; state: StreamStateJson }[],
  roots: Map<string, string>,
): Promise<ReceivedCallStream> {
  members.sort(
    (a, b) =>
      (a.state.firstPos ?? Number.MAX_SAFE_INTEGER) - (b.state.firstPos ?? Number.MAX_SAFE_INTEGER) ||
      a.session.file.open.segment - b.session.file.open.segment ||
      a.streamId - b.streamId,
  );
  const first = members[0];
  if (!first) throw new Error("empty group");
  const { desc } = first.state;
  const frameBytes = (desc.codec === "L16" ? 2 : 1) * desc.channels;
  const chunks: Uint8Array[] = [];
  const parts: ReceivedPart[] = [];
  const result: ReceivedCallStream = {
    callId: first.session.file.callId,
    sipCallId: first.session.file.open.recording.sipCallId,
    siprecSessionId: first.session.file.open.recording.siprecSessionId,
    label: desc.label,
    format: desc.codec,
    channels: desc.channels,
    rootSessionId: roots.get(first.session.file.sessionId) ?? first.session.file.sessionId,
    parts,
    contiguous: true,
    data: new Uint8Array(0),
    records: 0,
    replayRecords: 0,
    gapRecords: 0,
    gaps: [],
    duplicates: 0,
    endReasons: [],
  };
  let nextPos: number | undefined;
  for (const { session, streamId, state } of members) {
    const wav = new Uint8Array(await readFile(join(session.dir, state.file)));
    const data = wavData(wav).subarray(0, state.dataBytes ?? undefined);
    chunks.push(data);
    const samples = Math.floor(data.byteLength / frameBytes);
    parts.push({
      sessionId: session.file.sessionId,
      segment: session.file.open.segment,
      streamId,
      firstPos: state.firstPos,
      samples,
    });
    if (state.firstPos !== null) {
      if (nextPos !== undefined && state.firstPos !== nextPos) result.contiguous = false;
      nextPos = state.firstPos + samples;
    }
    result.records += state.records ?? 0;
    result.replayRecords += state.replayRecords ?? 0;
    result.gapRecords += state.gapRecords ?? 0;
    result.gaps.push(...(state.gaps ?? []));
    result.duplicates += state.duplicates ?? session.file.counts?.duplicates ?? 0;
    for (const item of session.file.items ?? []) {
      if (item.type === "stream.end" && item.streamId === streamId) result.endReasons.push(item.reason);
    }
  }
  result.data = concat(chunks);
  return result;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
