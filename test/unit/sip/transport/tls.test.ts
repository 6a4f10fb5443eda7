import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createSipStack,
  type SipLocalResponse,
  type SipNextHop,
  type SipRequest,
  type SipTlsOptions,
  SipTransportError,
} from "../../../../src/sip/index.ts";
import { startUac, type UacEnv } from "../raw-uas.ts";
import { makePemPki, type PemPki } from "../tls-pki.ts";

let pki: PemPki;
let otherPki: PemPki;
const envs: UacEnv[] = [];

beforeAll(async () => {
  [pki, otherPki] = await Promise.all([makePemPki(), makePemPki("intruder")]);
});

afterEach(async () => {
  for (const env of envs.splice(0)) await env.stack.close();
});

/** A TLS SRS whose INVITE handler answers 200 (recording what it got). */
async function startTlsSrs(tls: SipTlsOptions, seen: SipRequest[] = []): Promise<UacEnv> {
  const srs = await startUac(["tls"], { tls });
  envs.push(srs);
  srs.stack.onRequest("INVITE", (req) => {
    seen.push(req.message);
    req.reply(200, undefined, {
      body: "v=0\r\n",
      contentType: "application/sdp",
      headers: { Contact: `<sips:srs@127.0.0.1:${req.local.port}>` },
    });
  });
  return srs;
}

async function startClient(tls?: SipTlsOptions): Promise<UacEnv> {
  const env = await startUac(["udp"], tls ? { tls } : {});
  envs.push(env);
  return env;
}

function hop(srs: UacEnv, domain?: string): SipNextHop {
  return { transport: "tls", address: "127.0.0.1", port: srs.port, ...(domain ? { domain } : {}) };
}

describe("SIP over TLS (RFC 3261 §26.2, RFC 5922)", () => {
  it("sends INVITE and BYE over a verified TLS connection with sips: Contact and TLS Via", async () => {
    const seen: SipRequest[] = [];
    const srs = await startTlsSrs(pki.server, seen);
    const uac = await startClient(pki.client);
    const { response, dialog } = await uac.stack.invite(hop(srs), { uri: `sips:srs@127.0.0.1:${srs.port}` });
    expect(response.status).toBe(200);
    const invite = seen[0];
    expect(invite?.via[0]?.transport).toBe("TLS");
    expect(invite?.headers.get("contact")).toMatch(/^<sips:uac@127\.0\.0\.1:\d+>$/);
    if (!dialog) throw new Error("no dialog");
    const bye = await dialog.bye();
    expect(bye.status).toBe(200);
    expect(dialog.state).toBe("terminated");
  });

  it("refuses a server whose certificate does not chain to the configured CA (local 503, no request sent)", async () => {
    const seen: SipRequest[] = [];
    const srs = await startTlsSrs(pki.server, seen);
    const uac = await startClient(otherPki.client);
    const { response } = await uac.stack.invite(hop(srs), { uri: `sips:srs@127.0.0.1:${srs.port}` });
    expect(response.status).toBe(503);
    const local = response as SipLocalResponse;
    expect(local.error).toBeInstanceOf(SipTransportError);
    expect((local.error as Error).message).toMatch(/certificate/i);
    expect(seen).toEqual([]);
  });

  it("checks the certificate against the SIP domain when the next hop names one", async () => {
    const srs = await startTlsSrs(pki.server);
    const uac = await startClient(pki.client);
    const { response } = await uac.stack.invite(hop(srs, "srs.example.com"), {
      uri: "sips:srs@srs.example.com",
    });
    expect(response.status).toBe(503);
    expect(((response as SipLocalResponse).error as Error).message).toContain("srs.example.com");
  });

  it("with verifyClients, accepts a client certificate from the CA and refuses a client without one", async () => {
    const srs = await startTlsSrs({ ...pki.server, verifyClients: true });
    const withCert = await startClient(pki.client);
    const good = await withCert.stack.invite(hop(srs), { uri: `sips:srs@127.0.0.1:${srs.port}` });
    expect(good.response.status).toBe(200);
    const anonymous = await startClient({ ca: pki.ca });
    const refused = anonymous.stack.request(hop(srs), {
      method: "OPTIONS",
      uri: `sips:127.0.0.1:${srs.port}`,
    });
    expect((await refused.final).status).toBe(503);
  });

  it("refuses to send a sips: request over a hop that is not TLS (RFC 3261 §26.2.2)", async () => {
    const uac = await startClient(pki.client);
    const hop: SipNextHop = { transport: "udp", address: "127.0.0.1", port: 5 };
    const { response } = await uac.stack.invite(hop, { uri: "sips:srs@127.0.0.1" });
    expect(response.status).toBe(503);
    expect(((response as SipLocalResponse).error as Error).message).toContain("must go over TLS");
  });

  it("will not start a tls: listener without certificate and key", async () => {
    const stack = createSipStack({ listen: [{ transport: "tls", host: "127.0.0.1", port: 0 }] });
    await expect(stack.start()).rejects.toThrow(SipTransportError);
    await stack.close();
  });
});
