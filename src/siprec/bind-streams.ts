import type { RecordingMetadata, StreamBinding } from "./metadata-types.ts";

/**
 * Maps each m-line label, in m-line order, to its metadata stream and sender (RFC 7866 §7.1.1:
 * `a=label` ↔ `<stream><label>`; RFC 7865 §6.10 `participantstreamassoc/send`).
 *
 * The sender is the first participant whose `send` lists the stream (for a mixed stream that both
 * participants send, the first one). Unknown labels, an empty label or missing metadata give empty
 * ids: the SRS records anyway and maps by m-line order.
 */
export function bindStreams(metadata: RecordingMetadata | undefined, labels: string[]): StreamBinding[] {
  return labels.map((label) => {
    const stream = label === "" ? undefined : metadata?.streams.find((s) => s.label === label);
    if (!stream || !metadata) return { label, streamId: "", senderParticipantId: "" };
    const sender = metadata.participants.find((p) => p.send.includes(stream.streamId));
    return { label, streamId: stream.streamId, senderParticipantId: sender?.participantId ?? "" };
  });
}
