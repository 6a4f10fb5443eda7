import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Dialog, SipNextHop, SipTransportName } from "../../../../src/sip/index.ts";
import { answerSdp, offerSdp, startUac, type UacEnv } from "../raw-uas.ts";
import { makePemPki, type PemPki } from "../tls-pki.ts";

let pki: PemPki;
const envs: UacEnv[] = [];

beforeAll(async () => {
  pki = await makePemPki();
});

afterEach(async () => {
  for (const env of envs.splice(0)) await env.stack.close();
});

async function start(transport: SipTransportName, role: "srs" | "src"): Promise<UacEnv> {
  const tls = role === "srs" ? pki.server : pki.client;
  const env = await startUac(role === "srs" ? [transport] : ["udp"], transport === "tls" ? { tls } : {});
  envs.push(env);
  return env;
}

describe.each(["udp", "tcp", "tls"] as const)("our UAC against our own UAS over %s", (transport) => {
  it("establishes the dialog with INVITE/200/ACK and ends it on both sides with our BYE", async () => {
    const srs = await start(transport, "srs");
    const src = await start(transport, "src");
    const uasDialogs: Dialog[] = [];
    srs.stack.onRequest("INVITE", (req) => {
      expect(req.message.bodyText).toBe(offerSdp);
      const dialog = req.reply(200, undefined, {
        body: answerSdp,
        contentType: "application/sdp",
        headers: { Contact: `<sip:srs@127.0.0.1:${req.local.port};transport=${transport}>` },
      });
      if (dialog) uasDialogs.push(dialog);
    });
    const hop: SipNextHop = { transport, address: "127.0.0.1", port: srs.port };
    const scheme = transport === "tls" ? "sips" : "sip";
    const { response, dialog } = await src.stack.invite(hop, {
      uri: `${scheme}:srs@127.0.0.1:${srs.port}`,
      body: offerSdp,
      contentType: "application/sdp",
      contactParams: ";+sip.src",
    });
    expect(response.status).toBe(200);
    expect(response.bodyText).toBe(answerSdp);
    const uasDialog = uasDialogs[0];
    if (!dialog || !uasDialog) throw new Error("no dialog");
    if (uasDialog.state === "early")
      await new Promise<void>((resolve) => uasDialog.once("confirmed", () => resolve()));
    expect([dialog.callId, dialog.localTag, dialog.remoteTag]).toEqual([
      uasDialog.callId,
      uasDialog.remoteTag,
      uasDialog.localTag,
    ]);
    const uasEnded = new Promise((resolve) => uasDialog.once("terminated", resolve));
    expect((await dialog.bye()).status).toBe(200);
    expect(await uasEnded).toBe("bye");
  });
});
