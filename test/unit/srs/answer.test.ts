import { describe, expect, it } from "vitest";
import type { OfferedMedia } from "../../../src/sdp/index.ts";
import { answerDirection, decideMedia } from "../../../src/srs/index.ts";

function audio(
  index: number,
  encodings: [number, string][],
  extra: Partial<OfferedMedia> = {},
): OfferedMedia {
  return {
    index,
    type: "audio",
    port: 30000 + 2 * index,
    proto: "RTP/AVP",
    address: "192.0.2.10",
    direction: "sendonly",
    formats: encodings.map(([payloadType, encoding]) => ({ payloadType, encoding, rate: 8000, channels: 1 })),
    rtcpMux: false,
    crypto: [],
    ...extra,
  };
}

describe("SDP answer decisions (RFC 7866 §7.1, RFC 3264 §6)", () => {
  it.each([
    ["sendonly", "recvonly"],
    ["sendrecv", "recvonly"],
    ["inactive", "inactive"],
    ["recvonly", "inactive"],
  ] as const)("answers a %s offer with %s", (offered, answered) => {
    expect(answerDirection(offered)).toBe(answered);
  });

  it("prefers PCMU over PCMA whatever the offer's order, and keeps telephone-event", () => {
    const [d] = decideMedia([
      audio(0, [
        [8, "PCMA"],
        [0, "PCMU"],
        [101, "telephone-event"],
      ]),
    ]);
    expect(d?.audio?.encoding).toBe("PCMU");
    expect(d?.telephoneEvent?.payloadType).toBe(101);
  });

  it("takes PCMA when the offer has no PCMU, and refuses G.729-only m-lines", () => {
    const decisions = decideMedia([
      audio(0, [
        [18, "G729"],
        [8, "PCMA"],
      ]),
      audio(1, [[18, "G729"]]),
    ]);
    expect(decisions.map((d) => d.audio?.encoding)).toEqual(["PCMA", undefined]);
  });

  it("refuses video, SRTP and port-0 m-lines but keeps one decision per offered m-line, in order", () => {
    const decisions = decideMedia([
      audio(0, [[0, "PCMU"]]),
      audio(1, [[0, "PCMU"]], { port: 0 }),
      audio(2, [[96, "H264"]], { type: "video" }),
      audio(3, [[0, "PCMU"]], { proto: "RTP/SAVP", crypto: ["1 AES_CM_128_HMAC_SHA1_80 inline:x"] }),
    ]);
    expect(decisions.map((d) => [d.offer.index, d.audio?.encoding ?? null])).toEqual([
      [0, "PCMU"],
      [1, null],
      [2, null],
      [3, null],
    ]);
  });
});
