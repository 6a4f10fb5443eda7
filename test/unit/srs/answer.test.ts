import { describe, expect, it } from "vitest";
import { buildSdp, type OfferedMedia } from "../../../src/sdp/index.ts";
import { answerDirection, answerMedia, decideMedia } from "../../../src/srs/index.ts";
import { formatCryptoAttribute, generateKeyMaterial, parseCryptoAttribute } from "../../../src/srtp/index.ts";

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

describe("SDES-SRTP offers (RFC 4568, RFC 3711)", () => {
  const srcKey = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
  const savp = (crypto: string[]) => audio(0, [[0, "PCMU"]], { proto: "RTP/SAVP", crypto });

  it("refuses SRTP over plain signalling, saying TLS is needed", () => {
    const [d] = decideMedia([savp([formatCryptoAttribute(1, srcKey)])], { secureSignalling: false });
    expect(d?.audio).toBeUndefined();
    expect(d?.refusal).toBe("srtp-needs-tls");
  });

  it("over TLS accepts the first supported suite and answers RTP/SAVP with our own key under the offer's tag", () => {
    const offered = ["1 F8_128_HMAC_SHA1_80 inline:AAAA", formatCryptoAttribute(2, srcKey)];
    const [d] = decideMedia([savp(offered)], { secureSignalling: true });
    expect(d?.audio?.encoding).toBe("PCMU");
    expect(d?.srtp?.tag).toBe(2);
    expect(Buffer.from(d?.srtp?.remote.masterKey ?? []).equals(Buffer.from(srcKey.masterKey))).toBe(true);
    const [answer] = answerMedia(d ? [d] : [], new Map([[0, 40000]]));
    expect(answer?.proto).toBe("RTP/SAVP");
    const ours = parseCryptoAttribute(answer?.crypto?.[0] ?? "");
    expect(ours.tag).toBe(2);
    expect(ours.profile).toBe("AES_CM_128_HMAC_SHA1_80");
    expect(Buffer.from(ours.key.masterKey).equals(Buffer.from(srcKey.masterKey))).toBe(false);
    const sdp = buildSdp({
      origin: { username: "-", sessionId: "1", sessionVersion: 1, address: "192.0.2.1" },
      address: "192.0.2.1",
      media: answer ? [answer] : [],
    });
    expect(sdp).toContain("m=audio 40000 RTP/SAVP 0");
    expect(sdp).toContain(`a=crypto:${answer?.crypto?.[0]}`);
  });

  it("refuses an SRTP m-line whose suites are all unsupported", () => {
    const [d] = decideMedia([savp(["1 AEAD_AES_256_GCM inline:AAAA"])], { secureSignalling: true });
    expect(d?.refusal).toBe("srtp-unsupported");
  });

  it("keeps our answer key across a re-offer, while taking the SRC's new key", () => {
    const [first] = decideMedia([savp([formatCryptoAttribute(1, srcKey)])], { secureSignalling: true });
    const rekeyed = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    const previous = new Map(first ? [[0, first]] : []);
    const [second] = decideMedia(
      [savp([formatCryptoAttribute(1, rekeyed)])],
      { secureSignalling: true },
      previous,
    );
    expect(second?.srtp?.local).toBe(first?.srtp?.local);
    expect(Buffer.from(second?.srtp?.remote.masterKey ?? []).equals(Buffer.from(rekeyed.masterKey))).toBe(
      true,
    );
  });
});
