import type {
  MetadataParticipant,
  MetadataSession,
  MetadataStream,
  RecordingMetadata,
} from "./metadata-types.ts";

/**
 * Applies a metadata update to the state kept for a recording session (RFC 7865 §6.1, RFC 7866 §9).
 *
 * A `complete` update (or the first one) replaces the state. A `partial` update merges by id:
 * sessions and streams are overwritten field by field, participants keep their old AOR/name when the
 * update leaves them blank, gain new session ids, and take the update's stream associations when it
 * carries any. Extensions are appended (duplicates dropped); `groupId` and `ucid` are kept unless the
 * update has them. The result of a partial merge keeps the previous `dataMode`. Inputs are not modified.
 */
export function mergeMetadata(
  previous: RecordingMetadata | undefined,
  update: RecordingMetadata,
): RecordingMetadata {
  if (!previous || update.dataMode === "complete") return structuredClone(update);
  const merged: RecordingMetadata = {
    namespace: update.namespace || previous.namespace,
    dataMode: previous.dataMode,
    sessions: mergeById(previous.sessions, update.sessions, (s) => s.sessionId, mergeSession),
    participants: mergeById(
      previous.participants,
      update.participants,
      (p) => p.participantId,
      mergeParticipant,
    ),
    streams: mergeById(previous.streams, update.streams, (s) => s.streamId, mergeStream),
    extensions: [...new Set([...previous.extensions, ...update.extensions])],
  };
  const groupId = update.groupId ?? previous.groupId;
  const ucid = update.ucid ?? previous.ucid;
  if (groupId !== undefined) merged.groupId = groupId;
  if (ucid !== undefined) merged.ucid = ucid;
  return merged;
}

function mergeById<T>(
  previous: T[],
  update: T[],
  idOf: (item: T) => string,
  merge: (old: T, next: T) => T,
): T[] {
  const result = previous.map((item) => structuredClone(item));
  for (const item of update) {
    const at = result.findIndex((old) => idOf(old) === idOf(item));
    if (at < 0) result.push(structuredClone(item));
    else result[at] = merge(result[at]!, item);
  }
  return result;
}

function mergeSession(old: MetadataSession, next: MetadataSession): MetadataSession {
  return { ...old, ...structuredClone(next) };
}

function mergeStream(old: MetadataStream, next: MetadataStream): MetadataStream {
  const merged: MetadataStream = {
    ...old,
    ...next,
    label: next.label || old.label,
    sessionId: next.sessionId || old.sessionId,
  };
  return merged;
}

function mergeParticipant(old: MetadataParticipant, next: MetadataParticipant): MetadataParticipant {
  const hasStreams = next.send.length > 0 || next.recv.length > 0;
  return {
    participantId: old.participantId,
    aor: next.aor || old.aor,
    name: next.name || old.name,
    sessionIds: [...new Set([...old.sessionIds, ...next.sessionIds])],
    send: [...(hasStreams ? next.send : old.send)],
    recv: [...(hasStreams ? next.recv : old.recv)],
  };
}
