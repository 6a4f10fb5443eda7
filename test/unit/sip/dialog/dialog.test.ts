import { afterEach, describe, expect, it } from "vitest";
import type { Dialog } from "../../../../src/sip/index.ts";
import {
  nextEvent,
  openUdpPeer,
  requestText,
  type SipTestPeer,
  startStack,
  type TestStack,
} from "../sip-test-peer.ts";

let env: TestStack;
let peer: SipTestPeer;

afterEach(async () => {
  await peer.close();
  await env.stack.close();
});

/** Starts a stack whose INVITE handler answers 200 with SDP; resolves with the dialog and the 200's To tag. */
async function establish(): Promise<{ dialog: Dialog; toTag: string }> {
  env = await startStack("udp");
  peer = await openUdpPeer(env.port);
  const created = new Promise<Dialog>((resolve) => {
    env.stack.onRequest("INVITE", (req) => {
      const dialog = req.reply(200, undefined, { body: "v=0\r\n", contentType: "application/sdp" });
      if (dialog) resolve(dialog);
    });
  });
  peer.send(requestText({ method: "INVITE", port: peer.port }));
  expect((await peer.nextResponse()).status).toBe(100);
  const ok = await peer.nextResponse();
  expect(ok.status).toBe(200);
  const dialog = await created;
  return { dialog, toTag: ok.to?.tag ?? "" };
}

async function probe(): Promise<number> {
  peer.send(requestText({ method: "OPTIONS", port: peer.port, branch: "z9hG4bK-probe", callId: "probe" }));
  return (await peer.nextResponse()).status;
}

describe("UAS dialog (RFC 3261 §12, §13.3.1.4)", () => {
  it("is created by a 2xx with our To tag and the caller's From tag", async () => {
    const { dialog, toTag } = await establish();
    expect(dialog.callId).toBe("call-1@127.0.0.1");
    expect(dialog.localTag).toBe(toTag);
    expect(dialog.remoteTag).toBe("from-1");
    expect(dialog.state).toBe("early");
  });

  it("retransmits the 2xx (T1, doubling) until the ACK confirms the dialog, then stops", async () => {
    const { dialog, toTag } = await establish();
    env.clock.advance(500);
    expect((await peer.nextResponse()).status).toBe(200);
    env.clock.advance(1000);
    const again = await peer.nextResponse();
    expect(again.status).toBe(200);
    expect(again.bodyText).toBe("v=0\r\n");
    const confirmed = nextEvent(dialog, "confirmed");
    peer.send(requestText({ method: "ACK", port: peer.port, branch: "z9hG4bK-ack", toTag }));
    await confirmed;
    expect(dialog.state).toBe("confirmed");
    env.clock.advance(60_000);
    expect(await probe()).toBe(405);
    expect(dialog.state).toBe("confirmed");
  });

  it("terminates with no-ack when no ACK arrives within 64·T1", async () => {
    const { dialog } = await establish();
    const terminated = nextEvent(dialog, "terminated");
    env.clock.advance(64 * 500);
    expect(await terminated).toEqual(["no-ack"]);
    expect(dialog.state).toBe("terminated");
  });

  it("passes an in-dialog BYE to the handler with the dialog; its 200 terminates the dialog with bye", async () => {
    const { dialog, toTag } = await establish();
    peer.send(requestText({ method: "ACK", port: peer.port, branch: "z9hG4bK-ack", toTag }));
    await nextEvent(dialog, "confirmed");
    let seen: Dialog | undefined;
    env.stack.onRequest("BYE", (req) => {
      seen = req.dialog;
      req.reply(200);
    });
    const terminated = nextEvent(dialog, "terminated");
    peer.send(requestText({ method: "BYE", port: peer.port, branch: "z9hG4bK-bye", toTag, cseq: 2 }));
    expect((await peer.nextResponse()).status).toBe(200);
    expect(await terminated).toEqual(["bye"]);
    expect(seen).toBe(dialog);
  });

  it("answers BYE with 200 and ends the dialog when no BYE handler is registered", async () => {
    const { dialog, toTag } = await establish();
    const terminated = nextEvent(dialog, "terminated");
    peer.send(requestText({ method: "BYE", port: peer.port, branch: "z9hG4bK-bye", toTag, cseq: 2 }));
    expect((await peer.nextResponse()).status).toBe(200);
    expect(await terminated).toEqual(["bye"]);
  });

  it("answers 481 to a BYE for an unknown dialog", async () => {
    await establish();
    peer.send(requestText({ method: "BYE", port: peer.port, branch: "z9hG4bK-bye", toTag: "nope", cseq: 2 }));
    expect((await peer.nextResponse()).status).toBe(481);
  });

  it("passes a re-INVITE to the handler with the dialog and retransmits its 2xx until the new ACK", async () => {
    const { dialog, toTag } = await establish();
    peer.send(requestText({ method: "ACK", port: peer.port, branch: "z9hG4bK-ack", toTag }));
    await nextEvent(dialog, "confirmed");
    let seen: Dialog | undefined;
    env.stack.onRequest("INVITE", (req) => {
      seen = req.dialog;
      req.reply(200, undefined, { body: "v=0\r\n", contentType: "application/sdp" });
    });
    peer.send(requestText({ method: "INVITE", port: peer.port, branch: "z9hG4bK-reinvite", toTag, cseq: 2 }));
    expect((await peer.nextResponse()).status).toBe(100);
    const ok = await peer.nextResponse();
    expect(ok.status).toBe(200);
    expect(ok.to?.tag).toBe(toTag);
    expect(seen).toBe(dialog);
    env.clock.advance(500);
    expect((await peer.nextResponse()).cseq?.seq).toBe(2);
    peer.send(requestText({ method: "ACK", port: peer.port, branch: "z9hG4bK-ack2", toTag, cseq: 2 }));
    expect(await probe()).toBe(405);
    env.clock.advance(60_000);
    expect(await probe()).toBe(405);
    expect(dialog.state).toBe("confirmed");
  });

  it("ends every live dialog with closed when the stack closes", async () => {
    const { dialog } = await establish();
    const terminated = nextEvent(dialog, "terminated");
    await env.stack.close();
    expect(await terminated).toEqual(["closed"]);
    expect(env.clock.pendingTimers).toBe(0);
  });
});
