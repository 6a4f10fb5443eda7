import { describe, expect, it } from "vitest";
import { Flag, Kind, Reason } from "../../../src/media/frame-codes.ts";
import { FrameFlags, FrameKind, GapReason } from "../../../src/spool/index.ts";

describe("media frame codes", () => {
  it("use the spool's (EASP) values for kinds, flags and gap reasons", () => {
    expect(Kind).toEqual(FrameKind);
    expect(Flag).toEqual({ Discontinuity: FrameFlags.Discontinuity, Marker: FrameFlags.Marker });
    expect(Reason).toEqual({
      NoMedia: GapReason.NoMedia,
      PacketLoss: GapReason.PacketLoss,
      PausedPolicy: GapReason.PausedPolicy,
    });
  });
});
