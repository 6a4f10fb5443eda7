import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidStateError } from "../../../../src/lib/index.ts";
import {
  createSipStack,
  type IncomingRequest,
  SipStatusError,
  SipTransportError,
} from "../../../../src/sip/index.ts";
import {
  deferred,
  openUdpPeer,
  requestText,
  type SipTestPeer,
  startStack,
  type TestStack,
} from "../sip-test-peer.ts";

let env: TestStack;
let peer: SipTestPeer;
let opened = false;

afterEach(async () => {
  if (!opened) return;
  opened = false;
  await peer.close();
  await env.stack.close();
});

async function setup(options: Parameters<typeof startStack>[1] = {}): Promise<void> {
  env = await startStack("udp", options);
  peer = await openUdpPeer(env.port);
  opened = true;
}

function headerLines(lines: string[]): string {
  return `${lines.join("\r\n")}\r\n\r\n`;
}

describe("SIP stack request routing and error rendering", () => {
  it("answers CANCEL with 200, the pending INVITE with 487, and aborts `cancelled`", async () => {
    await setup();
    const pending = deferred<IncomingRequest>();
    env.stack.onRequest("INVITE", (req) => {
      pending.resolve(req);
      return new Promise<void>((resolve) => req.cancelled.addEventListener("abort", () => resolve()));
    });
    peer.send(requestText({ method: "INVITE", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(100);
    const req = await pending.promise;
    peer.send(requestText({ method: "CANCEL", port: peer.port }));
    const responses = [await peer.nextResponse(), await peer.nextResponse()];
    const byMethod = Object.fromEntries(responses.map((r) => [r.cseq?.method, r.status]));
    expect(byMethod).toEqual({ CANCEL: 200, INVITE: 487 });
    expect(req.cancelled.aborted).toBe(true);
    expect(() => req.reply(200)).toThrow(InvalidStateError);
  });

  it("answers 481 to a CANCEL that matches no INVITE", async () => {
    await setup();
    peer.send(requestText({ method: "CANCEL", port: peer.port, branch: "z9hG4bK-none" }));
    expect((await peer.nextResponse()).status).toBe(481);
  });

  it("answers 405 with an Allow header for a method without handler", async () => {
    await setup();
    env.stack.onRequest("INVITE", (req) => {
      req.reply(486);
    });
    peer.send(requestText({ method: "SUBSCRIBE", port: peer.port }));
    const res = await peer.nextResponse();
    expect(res.status).toBe(405);
    expect(res.headerAll("allow")).toEqual(expect.arrayContaining(["INVITE", "ACK", "CANCEL", "BYE"]));
  });

  it("answers a handler's SipStatusError with its status, reason and headers", async () => {
    await setup();
    env.stack.onRequest("INVITE", async () => {
      throw new SipStatusError(488, "Not Acceptable Here");
    });
    env.stack.onRequest("OPTIONS", () => {
      throw new SipStatusError(503, "Spool Full", { headers: { "Retry-After": "30" } });
    });
    peer.send(requestText({ method: "INVITE", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(100);
    const rejected = await peer.nextResponse();
    expect([rejected.status, rejected.reason]).toEqual([488, "Not Acceptable Here"]);
    peer.send(requestText({ method: "OPTIONS", port: peer.port, branch: "z9hG4bK-o" }));
    const busy = await peer.nextResponse();
    expect([busy.status, busy.reason, busy.header("retry-after")]).toEqual([503, "Spool Full", "30"]);
  });

  it("answers 500 and logs when a handler throws a plain Error", async () => {
    const lines: string[] = [];
    const { createLogger } = await import("../../../../src/lib/index.ts");
    await setup({ logger: createLogger({ level: "debug", write: (line) => lines.push(line) }) });
    env.stack.onRequest("OPTIONS", () => {
      throw new Error("boom");
    });
    peer.send(requestText({ method: "OPTIONS", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(500);
    expect(lines.some((line) => line.includes("request handler failed") && line.includes("boom"))).toBe(true);
  });

  it("answers 500 when a handler returns without a final response", async () => {
    await setup();
    env.stack.onRequest("INFO", async () => {});
    peer.send(requestText({ method: "INFO", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(500);
  });

  it("throws InvalidStateError on a second final response", async () => {
    await setup();
    const second = deferred<unknown>();
    env.stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
      try {
        req.reply(200);
      } catch (err) {
        second.resolve(err);
      }
    });
    peer.send(requestText({ method: "OPTIONS", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(200);
    expect(await second.promise).toBeInstanceOf(InvalidStateError);
  });

  it("answers a stateless 400 naming the missing header when no transaction key can be built", async () => {
    await setup();
    const text = requestText({ method: "OPTIONS", port: peer.port }).replace(
      "Call-ID: call-1@127.0.0.1\r\n",
      "",
    );
    peer.send(text);
    const res = await peer.nextResponse();
    expect([res.status, res.reason]).toEqual([400, "Missing Call-ID Header"]);
  });

  it("answers 400 with the parse problem when only a header value is malformed", async () => {
    await setup();
    peer.send(requestText({ method: "OPTIONS", port: peer.port, cseqMethod: "INVITE" }));
    const res = await peer.nextResponse();
    expect(res.status).toBe(400);
    expect(res.reason).toContain("does not match request method OPTIONS");
    expect(env.stack.stats().parseErrors).toBe(1);
  });

  it("answers 505 to a request with an unsupported SIP version (RFC 4475 badvers)", async () => {
    await setup();
    env.stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    peer.send(requestText({ method: "OPTIONS", port: peer.port }).replace(" SIP/2.0\r\n", " SIP/7.0\r\n"));
    expect((await peer.nextResponse()).status).toBe(505);
  });

  it("counts and drops garbage datagrams and keeps serving", async () => {
    await setup();
    env.stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    peer.send("\x00\x01garbage\r\n\r\n");
    peer.send(headerLines(["OPTIONS sip:a@127.0.0.1 SIP/2.0", "Via: SIP/2.0/UDP"]));
    peer.send("\r\n\r\n");
    peer.send(requestText({ method: "OPTIONS", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(200);
    const stats = env.stack.stats();
    expect(stats.parseErrors).toBe(2);
    expect(stats.messagesIn).toBe(1);
    expect(stats.requestsByMethod).toEqual({ OPTIONS: 1 });
    expect(stats.responsesByStatus).toEqual({ "200": 1 });
  });

  it("adds the configured Server header and routes responses to received/rport", async () => {
    await setup({ userAgent: "siprec-edge/test" });
    env.stack.onRequest("OPTIONS", (req) => {
      expect(req.source).toEqual({ transport: "udp", address: "127.0.0.1", port: peer.port });
      expect(req.local).toEqual({ transport: "udp", address: "127.0.0.1", port: env.port });
      req.reply(200);
    });
    // The Via names a port nobody listens on; rport makes the response come back to our socket.
    peer.send(
      requestText({ method: "OPTIONS", port: peer.port }).replace(`127.0.0.1:${peer.port};`, "127.0.0.1:9;"),
    );
    const res = await peer.nextResponse();
    expect(res.header("server")).toBe("siprec-edge/test");
    expect(res.via[0]).toMatchObject({ received: "127.0.0.1", rport: peer.port });
  });

  it("refuses handlers for ACK and CANCEL, which the stack handles itself", async () => {
    await setup();
    expect(() => env.stack.onRequest("ACK", () => {})).toThrow(TypeError);
  });
});

describe("SIP stack lifecycle", () => {
  it("fails to start with SipTransportError naming the listen spec when the port is taken", async () => {
    const blocker = createSocket("udp4");
    await new Promise<void>((resolve) => blocker.bind(0, "127.0.0.1", () => resolve()));
    const port = blocker.address().port;
    const stack = createSipStack({ listen: [{ transport: "udp", host: "127.0.0.1", port }] });
    const error = await stack.start().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SipTransportError);
    expect((error as SipTransportError).code).toBe("SIP_TRANSPORT");
    expect((error as Error).message).toContain(`udp:127.0.0.1:${port}`);
    await stack.close();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });

  it("reports the bound port, closes idempotently and leaves no timer behind", async () => {
    await setup();
    expect(env.stack.listening()).toEqual([{ transport: "udp", host: "127.0.0.1", port: env.port }]);
    expect(env.port).toBeGreaterThan(0);
    env.stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    peer.send(requestText({ method: "OPTIONS", port: peer.port }));
    await peer.nextResponse();
    expect(env.clock.pendingTimers).toBeGreaterThan(0);
    await env.stack.close();
    await env.stack.close();
    expect(env.clock.pendingTimers).toBe(0);
  });
});
