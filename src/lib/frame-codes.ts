/**
 * Frame kind, flag and GAP reason codes. They are EASP/1 wire values (EASP.md §3): the spool stores
 * them verbatim, the RTP receivers produce them and the EASP records carry them, so one definition
 * serves every layer and a stored frame needs no translation to become a record. Never renumber.
 */

/** Frame / record kinds, the `kind` byte at offset 1 of an EASP record. Others are reserved. */
export const FrameKind = { Audio: 1, Gap: 2 } as const;
/** @see FrameKind */
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Frame / record flag bits, the `flags` byte at offset 2. Bits 5–7 are reserved and must be 0. */
export const FrameFlags = {
  /** Delivered from the spool / later than the replay threshold after capture. */
  Replay: 0x01,
  /** The timeline was re-anchored here (SSRC change, timestamp jump): pos and capture time may jump. */
  Discontinuity: 0x02,
  /** Some samples were synthesized (PLC or silence fill); see the channel mask. */
  Concealed: 0x04,
  /** RTP marker bit / talk-spurt start (RFC 3551 §4.1). */
  Marker: 0x08,
  /** Last record of the stream. */
  End: 0x10,
} as const;

/** GAP reason codes, the byte at offset 3 of a GAP record. */
export const GapReason = {
  /** No RTP: hold, DTX/comfort noise, silence suppression. */
  NoMedia: 1,
  /** RTP sequence gap not concealed. */
  PacketLoss: 2,
  /** PCI/secure pause, SIPREC stream inactive. */
  PausedPolicy: 3,
  /** The receiver asked for `pause`. */
  PausedReceiver: 4,
  /** The appliance lost the audio (disk full, retention expiry): real loss, alarmed. */
  Discarded: 5,
  /** The receiver declined it (`opened.discardBefore`). */
  Declined: 6,
  /** The stream had not started yet. */
  NotStarted: 7,
} as const;
/** @see GapReason */
export type GapReason = (typeof GapReason)[keyof typeof GapReason];
