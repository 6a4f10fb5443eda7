import { afterEach, describe, expect, it } from "vitest";
import { FrameKind } from "../../../src/spool/index.ts";
import { generateKeyMaterial, SrtpContext } from "../../../src/srtp/index.ts";
import { buildRtp, Harness, run } from "./rtp-harness.ts";

const open: Harness[] = [];
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});

describe("RTP receiver with SRTP (RFC 3711, keys from SDES)", () => {
  it("decrypts and authenticates every packet, so the frames carry the clear G.711 payload", async () => {
    const key = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    const h = new Harness({ srtp: new SrtpContext(key) });
    open.push(h);
    await h.start();
    const sender = new SrtpContext(key);
    const packets = run(1, 5, 1000, { payload: new Uint8Array(160).fill(0x2a) });
    await h.sendRaw(packets.map((p) => sender.protect(buildRtp(p))));
    expect(h.frames.map((f) => [f.kind, f.rtpSeq])).toEqual([1, 2, 3, 4, 5].map((s) => [FrameKind.Audio, s]));
    expect(h.frames.every((f) => f.payload.length === 160 && f.payload.every((b) => b === 0x2a))).toBe(true);
    expect(h.receiver.stats()).toMatchObject({ packetsReceived: 5, packetsUnauthenticated: 0 });
  });

  it("counts and drops packets that fail authentication: tampered, replayed, or plain RTP", async () => {
    const key = generateKeyMaterial("AES_CM_128_HMAC_SHA1_32");
    const h = new Harness({ srtp: new SrtpContext(key) });
    open.push(h);
    await h.start();
    const sender = new SrtpContext(key);
    const first = sender.protect(buildRtp({ seq: 1, ts: 1000 }));
    const tampered = sender.protect(buildRtp({ seq: 2, ts: 1160 }));
    tampered[20] = (tampered[20] ?? 0) ^ 0xff;
    await h.sendRaw([first, first, tampered, buildRtp({ seq: 3, ts: 1320 })]);
    expect(h.frames).toHaveLength(1);
    expect(h.receiver.stats()).toMatchObject({ packetsReceived: 1, packetsUnauthenticated: 3 });
  });

  it("takes a new key when the SRC re-keys in a re-INVITE", async () => {
    const before = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    const after = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
    const h = new Harness({ srtp: new SrtpContext(before) });
    open.push(h);
    await h.start();
    await h.sendRaw([new SrtpContext(before).protect(buildRtp({ seq: 1, ts: 1000 }))]);
    h.receiver.setSrtp(new SrtpContext(after));
    await h.sendRaw([new SrtpContext(after).protect(buildRtp({ seq: 2, ts: 1160 }))]);
    expect(h.frames.map((f) => f.rtpSeq)).toEqual([1, 2]);
  });
});
