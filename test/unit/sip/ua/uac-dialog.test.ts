import { afterEach, describe, expect, it } from "vitest";
import type {
  DialogEvents,
  InviteInit,
  SipRequest,
  SipResponse,
  UacDialog,
} from "../../../../src/sip/index.ts";
import {
  answerSdp,
  offerSdp,
  openRawUas,
  type PeerDialog,
  peerRequest,
  type RawUas,
  startUac,
  type UacEnv,
} from "../raw-uas.ts";

let uac: UacEnv;
let uas: RawUas;

afterEach(async () => {
  await uas.close();
  await uac.stack.close();
});

interface Established {
  dialog: UacDialog;
  peer: PeerDialog;
  invite: SipRequest;
}

/** Our INVITE to the raw UAS, answered 200 with `headers`; resolves once the ACK arrived. */
async function establish(
  headers: Record<string, string> = {},
  init: Partial<InviteInit> = {},
  tag = "srs-1",
): Promise<Established> {
  const hop = { transport: "udp" as const, address: "127.0.0.1", port: uas.port };
  const result = uac.stack.invite(hop, {
    uri: `sip:srs@127.0.0.1:${uas.port}`,
    body: offerSdp,
    contentType: "application/sdp",
    ...init,
  });
  const invite = await uas.nextRequest("INVITE");
  uas.reply(invite, 200, {
    toTag: tag,
    headers: { Contact: `<sip:srs@127.0.0.1:${uas.port}>`, ...headers },
    body: answerSdp,
    contentType: "application/sdp",
  });
  const { dialog } = await result;
  if (!dialog) throw new Error("no dialog");
  await uas.nextRequest("ACK");
  const ourContact = /<([^>]+)>/.exec(invite.headers.get("contact") ?? "")?.[1] ?? "";
  const peer = {
    callId: invite.callId ?? "",
    ourTag: invite.from?.tag ?? "",
    theirTag: tag,
    ourContact,
    theirPort: uas.port,
  };
  return { dialog, peer, invite };
}

async function setup(): Promise<void> {
  uac = await startUac(["udp"]);
  uas = await openRawUas();
  uac.stack.onRequest("INVITE", () => {
    throw new Error("an in-dialog request reached the stack's INVITE handler");
  });
}

function nextEvent<K extends keyof DialogEvents & string>(
  dialog: UacDialog,
  event: K,
): Promise<DialogEvents[K]> {
  return new Promise((resolve) => dialog.once(event, (...args: DialogEvents[K]) => resolve(args)));
}

/** Sends an in-dialog OPTIONS from the peer and returns the next response (proves nothing else came first). */
async function probe(peer: PeerDialog, cseq: number): Promise<SipResponse> {
  uas.send(peerRequest(peer, "OPTIONS", cseq), uac.port);
  return uas.nextResponse();
}

describe("UAC dialog: requests of the remote SRS (RFC 3261 §12.2.2, RFC 4028 §9)", () => {
  it("answers a re-INVITE with 200 and our last SDP, and stops retransmitting it once ACKed", async () => {
    await setup();
    const { dialog, peer } = await establish();
    uas.send(peerRequest(peer, "INVITE", 1, { body: answerSdp }), uac.port);
    expect((await uas.nextResponse()).status).toBe(100);
    const ok = await uas.nextResponse();
    expect(ok.status).toBe(200);
    expect(ok.contentType).toBe("application/sdp");
    expect(ok.bodyText).toBe(offerSdp);
    expect(ok.to?.tag).toBe(peer.ourTag);
    uac.clock.advance(500);
    expect((await uas.nextResponse()).cseq).toEqual({ seq: 1, method: "INVITE" });
    uas.send(peerRequest(peer, "ACK", 1, { branch: "z9hG4bK-peer-ack-1" }), uac.port);
    expect((await probe(peer, 2)).cseq).toEqual({ seq: 2, method: "OPTIONS" });
    uac.clock.advance(10_000);
    expect((await probe(peer, 3)).cseq).toEqual({ seq: 3, method: "OPTIONS" });
    expect(dialog.state).toBe("confirmed");
  });

  it("answers the remote's session refresh with its interval, refresher=uac and Require: timer, and restarts expiry", async () => {
    await setup();
    const { dialog, peer } = await establish({ "Session-Expires": "90;refresher=uas", Require: "timer" });
    expect(dialog.sessionTimer).toEqual({ intervalS: 90, refresher: "remote" });
    uac.clock.advance(50_000);
    const refreshed = nextEvent(dialog, "refreshed");
    uas.send(
      peerRequest(peer, "INVITE", 1, {
        body: answerSdp,
        extra: ["Supported: timer", "Session-Expires: 90;refresher=uac"],
      }),
      uac.port,
    );
    await uas.nextResponse();
    const ok = await uas.nextResponse();
    expect(ok.status).toBe(200);
    expect(ok.headers.get("session-expires")).toBe("90;refresher=uac");
    expect(ok.headers.get("require")).toBe("timer");
    expect(ok.bodyText).toBe(offerSdp);
    expect(await refreshed).toEqual(["remote", { intervalS: 90, refresher: "remote" }]);
    uas.send(peerRequest(peer, "ACK", 1, { branch: "z9hG4bK-peer-ack-1" }), uac.port);
    expect((await probe(peer, 2)).status).toBe(200);
    uac.clock.advance(59_000);
    expect((await probe(peer, 3)).cseq).toEqual({ seq: 3, method: "OPTIONS" });
    const terminated = nextEvent(dialog, "terminated");
    uac.clock.advance(1_000);
    const bye = await uas.nextRequest("BYE");
    expect(bye.to?.tag).toBe(peer.theirTag);
    expect(await terminated).toEqual(["session-expired"]);
  });

  it("answers an UPDATE refresh without offer with 200, no body, and the session-timer headers", async () => {
    await setup();
    const { dialog, peer } = await establish({ "Session-Expires": "300;refresher=uas", Require: "timer" });
    uas.send(
      peerRequest(peer, "UPDATE", 1, { extra: ["Supported: timer", "Session-Expires: 300;refresher=uac"] }),
      uac.port,
    );
    const ok = await uas.nextResponse();
    expect(ok.status).toBe(200);
    expect(ok.body.length).toBe(0);
    expect(ok.headers.get("session-expires")).toBe("300;refresher=uac");
    expect(dialog.sessionTimer).toEqual({ intervalS: 300, refresher: "remote" });
  });

  it("refuses a session refresh below our Min-SE with 422 and Min-SE when the remote supports timers", async () => {
    await setup();
    const { peer } = await establish();
    uas.send(
      peerRequest(peer, "INVITE", 1, { extra: ["Supported: timer", "Session-Expires: 30"] }),
      uac.port,
    );
    await uas.nextResponse();
    const refused = await uas.nextResponse();
    expect(refused.status).toBe(422);
    expect(refused.headers.get("min-se")).toBe("90");
  });

  it("ends only the dialog a remote BYE belongs to", async () => {
    await setup();
    const first = await establish({}, {}, "srs-a");
    const second = await establish({}, {}, "srs-b");
    const stackBye: string[] = [];
    uac.stack.onRequest("BYE", (req) => {
      stackBye.push(req.message.callId ?? "");
      req.reply(200);
    });
    const terminated = nextEvent(first.dialog, "terminated");
    uas.send(peerRequest(first.peer, "BYE", 1), uac.port);
    const ok = await uas.nextResponse();
    expect([ok.status, ok.cseq?.method]).toEqual([200, "BYE"]);
    expect(await terminated).toEqual(["bye"]);
    expect(second.dialog.state).toBe("confirmed");
    expect(stackBye).toEqual([]);
    expect((await probe(second.peer, 1)).status).toBe(200);
  });

  it("passes the remote's requests to the dialog's handler, with the dialog, and lets it fall back to the defaults", async () => {
    await setup();
    const { dialog, peer } = await establish();
    const seen: string[] = [];
    dialog.onRequest((req) => {
      seen.push(req.message.method);
      expect(req.dialog).toBe(dialog);
      if (req.message.method === "INFO") req.reply(202);
      else dialog.replyDefault(req);
    });
    uas.send(peerRequest(peer, "INFO", 1), uac.port);
    expect((await uas.nextResponse()).status).toBe(202);
    uas.send(peerRequest(peer, "SUBSCRIBE", 2), uac.port);
    const refused = await uas.nextResponse();
    expect(refused.status).toBe(405);
    expect(refused.headers.get("allow")).toContain("UPDATE");
    expect(seen).toEqual(["INFO", "SUBSCRIBE"]);
  });

  it("answers 491 to the remote's re-INVITE while our own re-INVITE is pending (glare, RFC 3261 §14.2)", async () => {
    await setup();
    const { dialog, peer } = await establish();
    const ours = dialog.request("INVITE", { body: offerSdp, contentType: "application/sdp" });
    const reinvite = await uas.nextRequest("INVITE");
    uas.send(peerRequest(peer, "INVITE", 1, { body: answerSdp }), uac.port);
    await uas.nextResponse();
    expect((await uas.nextResponse()).status).toBe(491);
    uas.reply(reinvite, 200, { body: answerSdp, contentType: "application/sdp" });
    expect((await ours).status).toBe(200);
    const ack = await uas.nextRequest("ACK");
    expect(ack.cseq).toEqual({ seq: 2, method: "ACK" });
  });

  it("answers 500 to a request whose CSeq went backwards (RFC 3261 §12.2.2)", async () => {
    await setup();
    const { peer } = await establish();
    expect((await probe(peer, 5)).status).toBe(200);
    expect((await probe(peer, 4)).status).toBe(500);
  });
});

describe("UAC dialog: our requests (RFC 3261 §12.2.1, RFC 4028 §7, §10)", () => {
  it("refreshes the session at half the interval with the unchanged SDP when the 2xx makes us the refresher", async () => {
    await setup();
    const { dialog, peer, invite } = await establish({
      "Session-Expires": "120;refresher=uac",
      Require: "timer",
    });
    expect(invite.headers.get("supported")).toBe("timer");
    expect(invite.headers.get("session-expires")).toBe("1800");
    expect(invite.headers.get("min-se")).toBe("90");
    expect(dialog.sessionTimer).toEqual({ intervalS: 120, refresher: "local" });
    const refreshed = nextEvent(dialog, "refreshed");
    uac.clock.advance(60_000);
    const refresh = await uas.nextRequest("INVITE");
    expect(refresh.uri).toBe(`sip:srs@127.0.0.1:${uas.port}`);
    expect(refresh.cseq).toEqual({ seq: 2, method: "INVITE" });
    expect(refresh.to?.tag).toBe(peer.theirTag);
    expect(refresh.from?.tag).toBe(peer.ourTag);
    expect(refresh.callId).toBe(peer.callId);
    expect(refresh.bodyText).toBe(offerSdp);
    expect(refresh.headers.get("session-expires")).toBe("120;refresher=uac");
    expect(refresh.headers.get("supported")).toBe("timer");
    expect(refresh.headers.get("contact")).toBe(invite.headers.get("contact"));
    uas.reply(refresh, 200, {
      headers: { "Session-Expires": "120;refresher=uac", Require: "timer" },
      body: answerSdp,
      contentType: "application/sdp",
    });
    expect((await uas.nextRequest("ACK")).cseq).toEqual({ seq: 2, method: "ACK" });
    expect(await refreshed).toEqual(["local", { intervalS: 120, refresher: "local" }]);
    uac.clock.advance(60_000);
    expect((await uas.nextRequest("INVITE")).cseq?.seq).toBe(3);
  });

  it("sends BYE and ends with refresh-failed when its session refresh times out", async () => {
    await setup();
    const { dialog } = await establish({ "Session-Expires": "90;refresher=uac" });
    uac.clock.advance(45_000);
    await uas.nextRequest("INVITE");
    const terminated = nextEvent(dialog, "terminated");
    uac.clock.advance(64 * 500);
    let message = await uas.next();
    while (!("method" in message.message) || message.message.method !== "BYE") message = await uas.next();
    expect(await terminated).toEqual(["refresh-failed"]);
  });

  it("retries the INVITE with the Min-SE of a 422, same Call-ID and From tag, next CSeq (RFC 4028 §7.2)", async () => {
    await setup();
    const hop = { transport: "udp" as const, address: "127.0.0.1", port: uas.port };
    const result = uac.stack.invite(hop, {
      uri: `sip:srs@127.0.0.1:${uas.port}`,
      sessionTimer: { expiresS: 100 },
    });
    const first = await uas.nextRequest("INVITE");
    expect(first.headers.get("session-expires")).toBe("100");
    uas.reply(first, 422, { toTag: "x", headers: { "Min-SE": "600" } });
    await uas.nextRequest("ACK");
    const second = await uas.nextRequest("INVITE");
    expect(second.callId).toBe(first.callId);
    expect(second.from?.tag).toBe(first.from?.tag);
    expect(second.cseq).toEqual({ seq: 2, method: "INVITE" });
    expect(second.headers.get("session-expires")).toBe("600");
    expect(second.headers.get("min-se")).toBe("600");
    uas.reply(second, 200, { toTag: "y", headers: { Contact: `<sip:srs@127.0.0.1:${uas.port}>` } });
    expect((await result).response.status).toBe(200);
  });

  it("sends no session-timer headers when session timers are off", async () => {
    await setup();
    const { invite, dialog } = await establish(
      { "Session-Expires": "90;refresher=uac" },
      { sessionTimer: false },
    );
    expect(invite.headers.has("session-expires")).toBe(false);
    expect(invite.headers.has("supported")).toBe(false);
    expect(dialog.sessionTimer).toBeUndefined();
  });

  it("ends the dialog as gone when an in-dialog request gets 481 (RFC 3261 §12.2.1.2)", async () => {
    await setup();
    const { dialog } = await establish();
    const info = dialog.request("INFO");
    uas.reply(await uas.nextRequest("INFO"), 481);
    expect((await info).status).toBe(481);
    expect(dialog.state).toBe("terminated");
    await expect(dialog.request("INFO")).rejects.toThrow("has ended");
  });

  it("BYE ends the dialog with local-bye and stops its timers; the stack's close ends the others with closed", async () => {
    await setup();
    const first = await establish({ "Session-Expires": "90;refresher=uac" }, {}, "a");
    const second = await establish({ "Session-Expires": "90;refresher=uac" }, {}, "b");
    const ended = nextEvent(first.dialog, "terminated");
    const bye = first.dialog.bye();
    const sent = await uas.nextRequest("BYE");
    expect(sent.cseq).toEqual({ seq: 2, method: "BYE" });
    uas.reply(sent, 200);
    expect((await bye).status).toBe(200);
    expect(await ended).toEqual(["local-bye"]);
    const closed = nextEvent(second.dialog, "terminated");
    await uac.stack.close();
    expect(await closed).toEqual(["closed"]);
    expect(uac.clock.pendingTimers).toBe(0);
  });
});
