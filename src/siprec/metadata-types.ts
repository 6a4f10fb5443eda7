/**
 * The RFC 7865 recording metadata model, as the SRS sees it after vendor differences are smoothed out.
 * @module
 */

/** RFC 7865 §6.1 `datamode`: `complete` is a full snapshot, `partial` a delta (default `complete`). */
export type DataMode = "complete" | "partial";

/** A participant (RFC 7865 §6.7) with its sessions and the streams it sends and receives. */
export interface MetadataParticipant {
  /** `participant_id` (or draft-style `id`) attribute. */
  participantId: string;
  /** Address of record as written (`sip:1000@host`, `1000@host`, `+1555…`); `""` if absent. */
  aor: string;
  /** Display name from `<nameID><name>` or `<name>`; `""` if absent or blank. */
  name: string;
  /** Ids of the sessions this participant belongs to (`participantsessionassoc` or `session=`). */
  sessionIds: string[];
  /** Stream ids this participant sends (`participantstreamassoc/send` or `<send>` in the participant). */
  send: string[];
  /** Stream ids this participant receives. */
  recv: string[];
}

/** A media stream (RFC 7865 §6.8) and the SDP `a=label` it is carried on. */
export interface MetadataStream {
  /** `stream_id` (or draft-style `id`) attribute. */
  streamId: string;
  /** `session_id` (or draft-style `session`) attribute; `""` if absent. */
  sessionId: string;
  /** RFC 4574 label of the m-line carrying the stream; `""` if absent. */
  label: string;
  /** Draft-era `<mode>`: `mixed` or `separate`. */
  mode?: string;
}

/** A communication session (RFC 7865 §6.4) being recorded. */
export interface MetadataSession {
  /** `session_id` (or draft-style `id`) attribute. */
  sessionId: string;
  /** `<sipSessionID>` text (RFC 7989 Session-ID of the CS), when given. */
  sipSessionId?: string;
  /** `<start-time>` as written (ISO 8601). */
  startTime?: string;
  /** `<end-time>` as written (ISO 8601). */
  endTime?: string;
  /** `<group-ref>` child or `group_id`/`group` attribute. */
  groupId?: string;
}

/** Parsed recording metadata (RFC 7865), tolerant of the vendor variants in DESIGN.md §2. */
export interface RecordingMetadata {
  /** XML namespace of the root element, e.g. `urn:ietf:params:xml:ns:recording:1`; `""` if none. */
  namespace: string;
  /** Snapshot or delta (RFC 7865 §6.1). */
  dataMode: DataMode;
  /** First `<group>` id (RFC 7865 §6.3), when present. */
  groupId?: string;
  /** Communication sessions, document order. */
  sessions: MetadataSession[];
  /** Participants, document order. */
  participants: MetadataParticipant[];
  /** Streams, document order. */
  streams: MetadataStream[];
  /** Verbatim XML of every unknown/extension element (`<extensiondata>`, `apkt:*`, `callData`, …). */
  extensions: string[];
  /** Avaya UCID (hex) from `apkt:ucid` or `ac:AvayaUCID`, normalised to start with `00FA08`. */
  ucid?: string;
}

/** A model `serializeMetadata` can write: a `RecordingMetadata` whose namespace and extensions may be omitted. */
export type SerializableMetadata = Omit<RecordingMetadata, "namespace" | "extensions"> & {
  /** Ignored: we always write `urn:ietf:params:xml:ns:recording:1`. */
  namespace?: string;
  /** Extension elements to write verbatim at the end of `<recording>`. */
  extensions?: string[];
};

/** How one m-line's label maps to a metadata stream and its sender. */
export interface StreamBinding {
  /** The m-line's `a=label` (`""` if it had none). */
  label: string;
  /** Metadata stream id with that label; `""` if unknown. */
  streamId: string;
  /** Participant that sends the stream; `""` if unknown. */
  senderParticipantId: string;
}
