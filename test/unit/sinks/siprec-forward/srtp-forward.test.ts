import { readFile } from "node:fs/promises";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseSdp } from "../../../../src/sdp/index.ts";
import type { SipTlsOptions } from "../../../../src/sip/index.ts";
import { parseCryptoAttribute, SrtpContext } from "../../../../src/srtp/index.ts";
import { concatBytes, RecordedCall, testPayload, until } from "../../../helpers/recorded-call.ts";
import { createTestPki } from "../../../helpers/test-pki.ts";
import { ForwardHarness, readRtp, sinkConfig } from "./forward-harness.ts";
import { RemoteSrs } from "./remote-srs.ts";

let server: SipTlsOptions;
let client: SipTlsOptions;
let harness: ForwardHarness | undefined;
let srs: RemoteSrs | undefined;

beforeAll(async () => {
  const pki = await createTestPki({ clientCommonName: "edge-test" });
  try {
    const [ca, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
      [pki.ca, pki.serverCert, pki.serverKey, pki.clientCert, pki.clientKey].map((p) => readFile(p, "utf8")),
    );
    server = { cert: serverCert ?? "", key: serverKey ?? "", ca: ca ?? "" };
    client = { cert: clientCert ?? "", key: clientKey ?? "", ca: ca ?? "" };
  } finally {
    await pki.remove();
  }
});

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await srs?.close();
  srs = undefined;
});

describe("SRTP forwarding", () => {
  it("offers RTP/SAVP with our SDES key over TLS and sends audio the key in the SDP decrypts", async () => {
    srs = await RemoteSrs.start({ transport: "tls", tls: server });
    harness = await ForwardHarness.start({ tls: client });
    const h = harness;
    const forwarder = h.createForwarder([sinkConfig("rec", srs.uri, { srtp: "AES_CM_128_HMAC_SHA1_80" })]);
    const call = new RecordedCall(h.spool, forwarder, [{ role: "customer", label: "only" }]);
    forwarder.route(call.call.callId, [{ sink: "rec" }]);
    for (let k = 0; k < 8; k++) call.audio(0, testPayload(0, k));
    call.end();
    const remote = srs;
    await until(() => remote.packets(0, 0).length === 8, "eight SRTP packets");
    expect(h.started[0]?.target).toBe(`tls:127.0.0.1:${remote.port}`);
    const media = parseSdp(remote.sessions[0]?.offer ?? "").media[0];
    expect(media?.proto).toBe("RTP/SAVP");
    const crypto = parseCryptoAttribute(media?.crypto[0] ?? "");
    expect(crypto.profile).toBe("AES_CM_128_HMAC_SHA1_80");
    const context = new SrtpContext(crypto.key);
    const clear = remote.packets(0, 0).map((packet) => {
      const rtp = context.unprotect(packet);
      if (!rtp) throw new Error("SRTP packet not authenticated");
      return new Uint8Array(readRtp(rtp).payload);
    });
    expect(concatBytes(clear)).toEqual(concatBytes(Array.from({ length: 8 }, (_, k) => testPayload(0, k))));
    expect(Buffer.from(remote.packets(0, 0)[0] ?? []).includes(Buffer.from(testPayload(0, 0)))).toBe(false);
  });

  it("refuses SRTP towards a URI that is not sips: or ;transport=tls", async () => {
    harness = await ForwardHarness.start();
    const h = harness;
    const forwarder = h.createForwarder([]);
    const call = new RecordedCall(h.spool, forwarder, [{ role: "customer", label: "only" }]);
    expect(() =>
      forwarder.route(call.call.callId, [
        { sink: "adhoc", uri: "sip:srs@127.0.0.1:5999", srtp: "AES_CM_128_HMAC_SHA1_80" },
      ]),
    ).toThrow(expect.objectContaining({ code: "SIPREC_FORWARD_SRTP_NEEDS_TLS" }));
    expect(() =>
      h.createForwarder([sinkConfig("rec", "sip:srs@127.0.0.1:5999", { srtp: "AES_CM_128_HMAC_SHA1_32" })]),
    ).toThrow(expect.objectContaining({ code: "SIPREC_FORWARD_SRTP_NEEDS_TLS" }));
    expect(h.forwarder?.forwards(call.call.callId)).toEqual([]);
  });
});
