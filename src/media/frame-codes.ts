/**
 * Frame kind, flag and GAP reason values used by the receiver. They are copies of `FrameKind`,
 * `FrameFlags` and `GapReason` in `src/spool/spool-types.ts` (EASP.md §3): media may only
 * `import type` from spool, so the values are repeated here and checked equal by
 * `test/unit/media/frame-codes.test.ts`.
 */

/** Frame kinds (EASP record kinds): 1 AUDIO, 2 GAP. */
export const Kind = { Audio: 1, Gap: 2 } as const;

/** Frame flag bits (EASP record flags) the receiver sets. */
export const Flag = { Discontinuity: 2, Marker: 8 } as const;

/** GAP reasons (EASP GAP reason codes) the receiver emits. */
export const Reason = { NoMedia: 1, PacketLoss: 2, PausedPolicy: 3 } as const;
