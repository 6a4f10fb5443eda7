import { describe, expect, it } from "vitest";
import type { Dialog } from "../../../../src/sip/index.ts";
import {
  nextEvent,
  openTcpPeer,
  openUdpPeer,
  requestText,
  type SipTestPeer,
  startStack,
} from "../sip-test-peer.ts";

const sdpOffer =
  "v=0\r\no=src 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";

describe.each([
  { transport: "udp" as const, open: openUdpPeer },
  { transport: "tcp" as const, open: openTcpPeer },
])("INVITE / ACK / BYE over real $transport on 127.0.0.1", ({ transport, open }) => {
  it("answers, confirms on ACK and terminates on BYE", async () => {
    const { stack, port } = await startStack(transport, { userAgent: "siprec-edge/test" });
    const peer: SipTestPeer = await open(port);
    const dialogs: Dialog[] = [];
    stack.onRequest("INVITE", (req) => {
      expect(req.message.bodyText).toBe(sdpOffer);
      expect(req.source.transport).toBe(transport);
      const dialog = req.reply(200, undefined, {
        body: "v=0\r\n",
        contentType: "application/sdp",
        headers: { Contact: `<sip:srs@127.0.0.1:${req.local.port};transport=${transport}>` },
      });
      if (dialog) dialogs.push(dialog);
    });
    stack.onRequest("BYE", (req) => {
      req.reply(200);
    });
    const via = { port: peer.port, transport: peer.transport };
    peer.send(
      requestText({ method: "INVITE", ...via, body: sdpOffer, extra: ["Content-Type: application/sdp"] }),
    );
    expect((await peer.nextResponse()).status).toBe(100);
    const ok = await peer.nextResponse();
    expect(ok.status).toBe(200);
    expect(ok.header("contact")).toBe(`<sip:srs@127.0.0.1:${port};transport=${transport}>`);
    expect(ok.header("server")).toBe("siprec-edge/test");
    const toTag = ok.to?.tag ?? "";
    const dialog = dialogs[0];
    if (!dialog) throw new Error("no dialog");
    const confirmed = nextEvent(dialog, "confirmed");
    peer.send(requestText({ method: "ACK", ...via, branch: "z9hG4bK-ack", toTag }));
    await confirmed;
    const terminated = nextEvent(dialog, "terminated");
    peer.send(requestText({ method: "BYE", ...via, branch: "z9hG4bK-bye", toTag, cseq: 2 }));
    const byeOk = await peer.nextResponse();
    expect([byeOk.status, byeOk.cseq?.method]).toEqual([200, "BYE"]);
    expect(await terminated).toEqual(["bye"]);
    expect(stack.stats().requestsByMethod).toEqual({ INVITE: 1, ACK: 1, BYE: 1 });
    await peer.close();
    await stack.close();
  });
});
