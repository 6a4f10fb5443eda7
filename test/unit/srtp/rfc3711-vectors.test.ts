import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AesCmCipher } from "../../../src/srtp/aes-cm.ts";
import { deriveSessionKeys, deriveSrtpKey, SrtpKeyLabel } from "../../../src/srtp/key-derivation.ts";

interface Vectors {
  aesCmKeystream: {
    sessionKey: string;
    sessionSalt: string;
    rolloverCounter: number;
    sequenceNumber: number;
    ssrc: number;
    keystreamBlocks: number;
    blocks: { counter: string; keystream: string }[];
  };
  keyDerivation: {
    masterKey: string;
    masterSalt: string;
    cipherKey: string;
    cipherSalt: string;
    authKey94: string;
  };
}

const vectors: Vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../fixtures/srtp/rfc3711-vectors.json"), "utf8"),
);
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

describe("RFC 3711 Appendix B.2: AES-CM keystream", () => {
  const v = vectors.aesCmKeystream;
  const keystream = new Uint8Array(v.keystreamBlocks * 16);
  new AesCmCipher(bytes(v.sessionKey), bytes(v.sessionSalt)).xor(
    keystream,
    0,
    keystream.byteLength,
    v.ssrc,
    v.rolloverCounter,
    v.sequenceNumber,
  );

  it.each(v.blocks)(
    "produces keystream $keystream for counter $counter",
    ({ counter, keystream: expected }) => {
      const block = Number.parseInt(counter.slice(-4), 16);
      expect(hex(keystream.subarray(block * 16, block * 16 + 16))).toBe(expected);
    },
  );

  it("encrypts in place: XORing the keystream twice gives the plaintext back", () => {
    const payload = Uint8Array.from({ length: 45 }, (_, i) => i);
    const cipher = new AesCmCipher(bytes(v.sessionKey), bytes(v.sessionSalt));
    const data = payload.slice();
    cipher.xor(data, 0, data.length, 0x1234, 7, 9);
    expect(data).not.toEqual(payload);
    cipher.xor(data, 0, data.length, 0x1234, 7, 9);
    expect(data).toEqual(payload);
  });
});

describe("RFC 3711 Appendix B.3: key derivation", () => {
  const v = vectors.keyDerivation;
  const masterKey = bytes(v.masterKey);
  const masterSalt = bytes(v.masterSalt);

  it("derives the cipher key with label 0x00", () => {
    expect(hex(deriveSrtpKey(masterKey, masterSalt, SrtpKeyLabel.RtpCipherKey, 16))).toBe(v.cipherKey);
  });

  it("derives the cipher salt with label 0x02", () => {
    expect(hex(deriveSrtpKey(masterKey, masterSalt, SrtpKeyLabel.RtpSalt, 14))).toBe(v.cipherSalt);
  });

  it("derives the 94-byte auth key with label 0x01", () => {
    expect(hex(deriveSrtpKey(masterKey, masterSalt, SrtpKeyLabel.RtpAuthKey, 94))).toBe(v.authKey94);
  });

  it("gives SRTP the 16-byte cipher key, 14-byte salt and first 20 bytes of the auth key", () => {
    const keys = deriveSessionKeys(masterKey, masterSalt, false);
    expect(hex(keys.cipherKey)).toBe(v.cipherKey);
    expect(hex(keys.cipherSalt)).toBe(v.cipherSalt);
    expect(hex(keys.authKey)).toBe(v.authKey94.slice(0, 40));
  });

  it("derives different SRTCP keys with labels 0x03-0x05", () => {
    const rtp = deriveSessionKeys(masterKey, masterSalt, false);
    const rtcp = deriveSessionKeys(masterKey, masterSalt, true);
    expect(hex(rtcp.cipherKey)).not.toBe(hex(rtp.cipherKey));
    expect(hex(rtcp.cipherSalt)).not.toBe(hex(rtp.cipherSalt));
    expect(hex(rtcp.authKey)).not.toBe(hex(rtp.authKey));
    expect(rtcp.cipherKey).toEqual(deriveSrtpKey(masterKey, masterSalt, SrtpKeyLabel.RtcpCipherKey, 16));
  });
});
