import { afterEach, describe, expect, it } from "vitest";
import { SipLocalResponse, type SipNextHop } from "../../../../src/sip/index.ts";
import { openRawUas, type RawUas, startUac, type UacEnv } from "../raw-uas.ts";

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

describe("non-INVITE client transaction over UDP (RFC 3261 §17.1.2)", () => {
  it("retransmits at T1 doubling up to T2 (Timer E), every T2 after a 1xx, and resolves with the final response", async () => {
    const hop = await setup();
    const request = uac.stack.request(hop, { method: "OPTIONS", uri: `sip:127.0.0.1:${uas.port}` });
    const provisional = new Promise((resolve) => request.once("provisional", resolve));
    const first = await uas.nextRequest("OPTIONS");
    for (const step of [500, 1000, 2000, 4000, 4000]) {
      uac.clock.advance(step);
      expect((await uas.nextRequest("OPTIONS")).via[0]?.branch).toBe(first.via[0]?.branch);
    }
    uas.reply(first, 100);
    await provisional;
    uac.clock.advance(4000);
    await uas.nextRequest("OPTIONS");
    uas.reply(first, 200, { toTag: "t" });
    const final = await request.final;
    expect(final.status).toBe(200);
    expect(final).not.toBeInstanceOf(SipLocalResponse);
  });

  it("ends with a local 408 when nothing answers within 64·T1 (Timer F)", async () => {
    const hop = await setup();
    const request = uac.stack.request(hop, { method: "OPTIONS", uri: `sip:127.0.0.1:${uas.port}` });
    await uas.nextRequest("OPTIONS");
    uac.clock.advance(64 * 500);
    const final = await request.final;
    expect(final.status).toBe(408);
    expect((final as SipLocalResponse).cause).toBe("timeout");
  });

  it("sends From with a tag, To, Call-ID, CSeq 1, Max-Forwards 70, the extra headers and the body", async () => {
    const hop = await setup();
    const request = uac.stack.request(hop, {
      method: "MESSAGE",
      uri: `sip:srs@127.0.0.1:${uas.port}`,
      from: "sip:recorder@example.com",
      headers: { "X-Test": ["a", "b"] },
      body: "hello",
      contentType: "text/plain",
    });
    const sent = await uas.nextRequest("MESSAGE");
    expect(sent.from?.uri).toBe("sip:recorder@example.com");
    expect(sent.from?.tag).toMatch(/^[0-9a-f]{12}$/);
    expect(sent.to?.uri).toBe(`sip:srs@127.0.0.1:${uas.port}`);
    expect(sent.to?.tag).toBeUndefined();
    expect(sent.cseq).toEqual({ seq: 1, method: "MESSAGE" });
    expect(sent.maxForwards).toBe(70);
    expect(sent.headerAll("x-test")).toEqual(["a", "b"]);
    expect(sent.bodyText).toBe("hello");
    expect(sent.via[0]?.hasRport).toBe(true);
    expect(sent.via[0]?.port).toBe(uac.port);
    uas.reply(sent, 202, { toTag: "t" });
    expect((await request.final).status).toBe(202);
  });

  it("refuses INVITE, ACK and CANCEL, which have their own paths", async () => {
    const hop = await setup();
    for (const method of ["INVITE", "ACK", "CANCEL"]) {
      expect(() => uac.stack.request(hop, { method, uri: "sip:x@127.0.0.1" })).toThrow(TypeError);
    }
  });
});
