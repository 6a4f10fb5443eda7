import { afterEach, describe, expect, it } from "vitest";
import { SipLocalResponse, type SipNextHop } from "../../../../src/sip/index.ts";
import { offerSdp, openRawUas, type RawUas, startUac, type UacEnv } from "../raw-uas.ts";

let uac: UacEnv;
let uas: RawUas;

afterEach(async () => {
  await uas.close();
  await uac.stack.close();
});

async function setup(): Promise<SipNextHop> {
  uac = await startUac(["udp"]);
  uas = await openRawUas();
  return { transport: "udp", address: "127.0.0.1", port: uas.port };
}

function inviteTo(hop: SipNextHop, signal?: AbortSignal) {
  return uac.stack.invite(hop, {
    uri: `sip:srs@127.0.0.1:${hop.port}`,
    body: offerSdp,
    contentType: "application/sdp",
    ...(signal ? { signal } : {}),
  });
}

describe("INVITE client transaction over UDP (RFC 3261 §17.1.1)", () => {
  it("retransmits at T1, 2·T1, 4·T1 (Timer A) and ends with a local 408 at 64·T1 (Timer B)", async () => {
    const hop = await setup();
    const result = inviteTo(hop);
    const first = await uas.nextRequest("INVITE");
    for (const step of [500, 1000, 2000, 4000]) {
      uac.clock.advance(step);
      const again = await uas.nextRequest("INVITE");
      expect(again.via[0]?.branch).toBe(first.via[0]?.branch);
      expect(again.cseq).toEqual(first.cseq);
    }
    uac.clock.advance(64 * 500);
    const { response, dialog } = await result;
    expect(response.status).toBe(408);
    expect(response).toBeInstanceOf(SipLocalResponse);
    expect((response as SipLocalResponse).cause).toBe("timeout");
    expect(dialog).toBeUndefined();
  });

  it("stops retransmitting after a provisional response and reports it", async () => {
    const hop = await setup();
    const provisional: number[] = [];
    let ringing: () => void = () => {};
    const rang = new Promise<void>((resolve) => {
      ringing = resolve;
    });
    const result = uac.stack.invite(hop, {
      uri: `sip:srs@127.0.0.1:${hop.port}`,
      onProvisional: (res) => {
        provisional.push(res.status);
        ringing();
      },
    });
    const invite = await uas.nextRequest("INVITE");
    uas.reply(invite, 180, { toTag: "srs-1" });
    await rang;
    uac.clock.advance(30_000);
    uas.reply(invite, 486, { toTag: "srs-1" });
    const ack = await uas.nextRequest("ACK");
    expect(ack.cseq?.seq).toBe(1);
    expect((await result).response.status).toBe(486);
    expect(provisional).toEqual([180]);
  });

  it("ACKs a 486 itself with the INVITE's branch and To tag, and ACKs each retransmission of it", async () => {
    const hop = await setup();
    const result = inviteTo(hop);
    const invite = await uas.nextRequest("INVITE");
    const busy = uas.reply(invite, 486, { toTag: "srs-busy" });
    const ack = await uas.nextRequest("ACK");
    expect(ack.uri).toBe(invite.uri);
    expect(ack.via[0]?.branch).toBe(invite.via[0]?.branch);
    expect(ack.to?.tag).toBe("srs-busy");
    expect(ack.cseq).toEqual({ seq: 1, method: "ACK" });
    expect(ack.callId).toBe(invite.callId);
    expect((await result).response.status).toBe(486);
    uas.send(busy, uac.port);
    expect((await uas.nextRequest("ACK")).via[0]?.branch).toBe(invite.via[0]?.branch);
  });

  it("passes a 2xx up: the dialog ACKs it with a new branch to the Contact, and re-ACKs its retransmission", async () => {
    const hop = await setup();
    const result = inviteTo(hop);
    const invite = await uas.nextRequest("INVITE");
    const contact = `<sip:srs@127.0.0.1:${uas.port}>`;
    const ok = uas.reply(invite, 200, {
      toTag: "srs-ok",
      headers: { Contact: contact },
      body: "v=0\r\n",
      contentType: "application/sdp",
    });
    const { response, dialog } = await result;
    expect(response.status).toBe(200);
    expect(dialog?.state).toBe("confirmed");
    expect(dialog?.remoteTag).toBe("srs-ok");
    const ack = await uas.nextRequest("ACK");
    expect(ack.uri).toBe(`sip:srs@127.0.0.1:${uas.port}`);
    expect(ack.via[0]?.branch).not.toBe(invite.via[0]?.branch);
    expect(ack.cseq).toEqual({ seq: 1, method: "ACK" });
    uas.send(ok, uac.port);
    expect((await uas.nextRequest("ACK")).via[0]?.branch).toBe(ack.via[0]?.branch);
    uac.clock.advance(64 * 500);
    uas.send(ok, uac.port);
    expect((await uas.nextRequest("ACK")).via[0]?.branch).toBe(ack.via[0]?.branch);
  });

  it("sends CANCEL after the provisional response, then ACKs the 487 (RFC 3261 §9.1)", async () => {
    const hop = await setup();
    const abort = new AbortController();
    const result = inviteTo(hop, abort.signal);
    const invite = await uas.nextRequest("INVITE");
    abort.abort();
    uas.reply(invite, 100);
    const cancel = await uas.nextRequest("CANCEL");
    expect(cancel.uri).toBe(invite.uri);
    expect(cancel.via[0]?.branch).toBe(invite.via[0]?.branch);
    expect(cancel.cseq).toEqual({ seq: 1, method: "CANCEL" });
    expect(cancel.headers.get("from")).toBe(invite.headers.get("from"));
    uas.reply(cancel, 200, { toTag: "srs-c" });
    uas.reply(invite, 487, { toTag: "srs-c" });
    expect((await uas.nextRequest("ACK")).via[0]?.branch).toBe(invite.via[0]?.branch);
    const { response } = await result;
    expect(response.status).toBe(487);
    expect(response).not.toBeInstanceOf(SipLocalResponse);
  });

  it("gives up 64·T1 after a CANCEL that got no final response for the INVITE", async () => {
    const hop = await setup();
    const abort = new AbortController();
    const result = uac.stack.invite(hop, {
      uri: `sip:srs@127.0.0.1:${hop.port}`,
      signal: abort.signal,
      onProvisional: () => abort.abort(),
    });
    const invite = await uas.nextRequest("INVITE");
    uas.reply(invite, 180, { toTag: "srs-r" });
    await uas.nextRequest("CANCEL");
    uac.clock.advance(64 * 500);
    expect((await result).response.status).toBe(408);
  });

  it("answers a local 487 when cancelled before anything was sent", async () => {
    const hop = await setup();
    const abort = new AbortController();
    abort.abort();
    const { response } = await inviteTo(hop, abort.signal);
    expect(response.status).toBe(487);
    expect((response as SipLocalResponse).cause).toBe("cancelled");
  });
});
