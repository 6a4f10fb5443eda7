import { describe, expect, it } from "vitest";
import {
  formatCryptoAttribute,
  generateKeyMaterial,
  parseCryptoAttribute,
  SrtpContext,
  SrtpError,
  type SrtpErrorCode,
  type SrtpKeyMaterial,
} from "../../../src/srtp/index.ts";
import { rtpPacket } from "./srtp-harness.ts";

/** The key of RFC 4568 §8.1's example offer (30 bytes in base64). */
const EXAMPLE_KEY = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
const exampleBytes = new Uint8Array(Buffer.from(EXAMPLE_KEY, "base64"));

describe("parseCryptoAttribute", () => {
  it("reads tag, suite, key, salt, lifetime and MKI of an RFC 4568 example", () => {
    const attribute = parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|2^20|1:4`);
    expect(attribute).toEqual({
      tag: 1,
      profile: "AES_CM_128_HMAC_SHA1_80",
      key: {
        profile: "AES_CM_128_HMAC_SHA1_80",
        masterKey: exampleBytes.subarray(0, 16),
        masterSalt: exampleBytes.subarray(16),
        mki: Uint8Array.of(0, 0, 0, 1),
      },
      lifetime: 2 ** 20,
      mki: { value: 1n, length: 4 },
    });
  });

  it("reads the 32-bit-tag suite without lifetime or MKI", () => {
    const attribute = parseCryptoAttribute(`2 AES_CM_128_HMAC_SHA1_32 inline:${EXAMPLE_KEY}`);
    expect(attribute.tag).toBe(2);
    expect(attribute.profile).toBe("AES_CM_128_HMAC_SHA1_32");
    expect(attribute.lifetime).toBeUndefined();
    expect(attribute.mki).toBeUndefined();
    expect(attribute.key.mki).toBeUndefined();
  });

  it.each([
    ["a decimal lifetime", `|1048576`, { lifetime: 1048576 }],
    ["an MKI without lifetime", `|7:1`, { mki: { value: 7n, length: 1 } }],
    ["the largest lifetime", `|2^48`, { lifetime: 2 ** 48 }],
  ])("reads %s", (_name, suffix, expected) => {
    expect(parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}${suffix}`)).toMatchObject(
      expected,
    );
  });

  it("tolerates the a=crypto: prefix, tabs, any letter case and ignorable session parameters", () => {
    const attribute = parseCryptoAttribute(
      `a=crypto:3\taes_cm_128_hmac_sha1_32 INLINE:${EXAMPLE_KEY} WSH=128 FEC_ORDER=FEC_SRTP -X_VENDOR=1\r\n`,
    );
    expect(attribute.tag).toBe(3);
    expect(attribute.profile).toBe("AES_CM_128_HMAC_SHA1_32");
  });

  it.each<[string, string, SrtpErrorCode, string]>([
    ["a missing key", "1 AES_CM_128_HMAC_SHA1_80", "SRTP_BAD_CRYPTO", "expected"],
    [
      "a tag that is not a number",
      `x AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}`,
      "SRTP_BAD_CRYPTO",
      "tag",
    ],
    ["a 10-digit tag", `1234567890 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}`, "SRTP_BAD_CRYPTO", "tag"],
    ["a suite with punctuation", `1 AES-CM inline:${EXAMPLE_KEY}`, "SRTP_BAD_CRYPTO", "crypto suite"],
    ["a key that is not base64", "1 AES_CM_128_HMAC_SHA1_80 inline:not*base64!", "SRTP_BAD_CRYPTO", "base64"],
    [
      "a 24-byte key and salt",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${"A".repeat(32)}`,
      "SRTP_BAD_CRYPTO",
      "30 bytes",
    ],
    [
      "a key parameter without method",
      `1 AES_CM_128_HMAC_SHA1_80 ${EXAMPLE_KEY}`,
      "SRTP_BAD_CRYPTO",
      "<method>",
    ],
    [
      "a lifetime above 2^48",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|2^49`,
      "SRTP_BAD_CRYPTO",
      "lifetime",
    ],
    ["a zero lifetime", `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|0`, "SRTP_BAD_CRYPTO", "lifetime"],
    [
      "a zero-byte MKI",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|1:0`,
      "SRTP_BAD_CRYPTO",
      "MKI length",
    ],
    [
      "a 129-byte MKI",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|1:129`,
      "SRTP_BAD_CRYPTO",
      "MKI length",
    ],
    [
      "an MKI too large for its length",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|256:1`,
      "SRTP_BAD_CRYPTO",
      "fit",
    ],
    [
      "an MKI that is not a number",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|2^20|a:4`,
      "SRTP_BAD_CRYPTO",
      "MKI",
    ],
    [
      "too many fields",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|2^20|1:4|x`,
      "SRTP_BAD_CRYPTO",
      "too many",
    ],
    ["AES-256", `1 AES_256_CM_HMAC_SHA1_80 inline:${EXAMPLE_KEY}`, "SRTP_UNSUPPORTED_SUITE", "AES_256"],
    ["AES-GCM", `1 AEAD_AES_128_GCM inline:${EXAMPLE_KEY}`, "SRTP_UNSUPPORTED_SUITE", "AEAD_AES_128_GCM"],
    ["F8 mode", `1 F8_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}`, "SRTP_UNSUPPORTED_SUITE", "F8_128"],
    [
      "two master keys",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|1:1;inline:${EXAMPLE_KEY}|2:1`,
      "SRTP_UNSUPPORTED_PARAM",
      "several",
    ],
    [
      "another key method",
      `1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/k`,
      "SRTP_UNSUPPORTED_PARAM",
      "key method",
    ],
    [
      "a key derivation rate",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY} KDR=10`,
      "SRTP_UNSUPPORTED_PARAM",
      "KDR",
    ],
    [
      "unencrypted SRTP",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY} UNENCRYPTED_SRTP`,
      "SRTP_UNSUPPORTED_PARAM",
      "UNENCRYPTED_SRTP",
    ],
    [
      "an unknown mandatory parameter",
      `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY} FOO`,
      "SRTP_UNSUPPORTED_PARAM",
      "FOO",
    ],
  ])("refuses %s", (_name, value, code, says) => {
    let caught: unknown;
    try {
      parseCryptoAttribute(value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SrtpError);
    expect((caught as SrtpError).code).toBe(code);
    expect((caught as SrtpError).message).toContain(says);
  });

  it("names the refused suite on SRTP_UNSUPPORTED_SUITE", () => {
    expect(() => parseCryptoAttribute(`1 AES_192_CM_HMAC_SHA1_32 inline:${EXAMPLE_KEY}`)).toThrow(
      expect.objectContaining({ suite: "AES_192_CM_HMAC_SHA1_32" }),
    );
  });
});

describe("formatCryptoAttribute and generateKeyMaterial", () => {
  it("writes a value parseCryptoAttribute reads back to the same key", () => {
    const key = generateKeyMaterial("AES_CM_128_HMAC_SHA1_32");
    const value = formatCryptoAttribute(7, key);
    expect(value).toMatch(/^7 AES_CM_128_HMAC_SHA1_32 inline:[A-Za-z0-9+/]{40}$/);
    expect(parseCryptoAttribute(value)).toEqual({ tag: 7, profile: key.profile, key });
  });

  it("writes the RFC 4568 example back as it was, with lifetime and MKI", () => {
    const value = `1 AES_CM_128_HMAC_SHA1_80 inline:${EXAMPLE_KEY}|2^20|1:4`;
    const { tag, key, lifetime } = parseCryptoAttribute(value);
    expect(formatCryptoAttribute(tag, key, lifetime === undefined ? {} : { lifetime })).toBe(value);
  });

  it("writes a lifetime that is not a power of two in decimal", () => {
    const key = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    expect(formatCryptoAttribute(1, key, { lifetime: 1000 })).toMatch(/\|1000$/);
  });

  it("generates a fresh 16-byte key and 14-byte salt each time", () => {
    const a = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    const b = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    expect(a.masterKey.byteLength).toBe(16);
    expect(a.masterSalt.byteLength).toBe(14);
    expect(a.masterKey).not.toEqual(b.masterKey);
  });

  it("gives keys that an SrtpContext built from the parsed SDP can decrypt", () => {
    const offered = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    const answererView = parseCryptoAttribute(formatCryptoAttribute(1, offered)).key;
    const srtp = new SrtpContext(offered).protect(rtpPacket(42));
    expect(new SrtpContext(answererView).unprotect(srtp)).toEqual(rtpPacket(42));
  });

  it.each<[string, number, Partial<SrtpKeyMaterial>, { lifetime?: number }, SrtpErrorCode]>([
    ["a negative tag", -1, {}, {}, "SRTP_BAD_CRYPTO"],
    ["a fractional tag", 1.5, {}, {}, "SRTP_BAD_CRYPTO"],
    ["a short master key", 1, { masterKey: new Uint8Array(8) }, {}, "SRTP_BAD_KEY"],
    ["a zero lifetime", 1, {}, { lifetime: 0 }, "SRTP_BAD_CRYPTO"],
  ])("refuses %s", (_name, tag, change, options, code) => {
    const key = { ...generateKeyMaterial("AES_CM_128_HMAC_SHA1_80"), ...change };
    expect(() => formatCryptoAttribute(tag, key, options)).toThrow(expect.objectContaining({ code }));
  });

  it("refuses to generate keys for a suite it does not implement", () => {
    expect(() => generateKeyMaterial("AEAD_AES_128_GCM" as "AES_CM_128_HMAC_SHA1_80")).toThrow(
      expect.objectContaining({ code: "SRTP_BAD_KEY" }),
    );
  });
});
