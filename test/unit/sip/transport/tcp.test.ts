import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { openTcpPeer, requestText, startStack } from "../sip-test-peer.ts";

describe("SIP over TCP", () => {
  it("closes only the connection that sent garbage and counts it", async () => {
    const { stack, port } = await startStack("tcp");
    stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    const bad = await openTcpPeer(port);
    const good = await openTcpPeer(port);
    bad.send("HELLO\r\n\r\n");
    await bad.closed;
    good.send(requestText({ method: "OPTIONS", port: good.port, transport: "TCP" }));
    expect((await good.nextResponse()).status).toBe(200);
    expect(stack.stats().parseErrors).toBe(1);
    await good.close();
    await stack.close();
  });

  it("frames two requests written in one segment and one request split across writes", async () => {
    const { stack, port } = await startStack("tcp");
    stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    const peer = await openTcpPeer(port);
    const first = requestText({ method: "OPTIONS", port: peer.port, transport: "TCP", branch: "z9hG4bK-a" });
    const second = requestText({ method: "OPTIONS", port: peer.port, transport: "TCP", branch: "z9hG4bK-b" });
    peer.send(first + second.slice(0, 40));
    expect((await peer.nextResponse()).via[0]?.branch).toBe("z9hG4bK-a");
    peer.send(second.slice(40));
    expect((await peer.nextResponse()).via[0]?.branch).toBe("z9hG4bK-b");
    await peer.close();
    await stack.close();
  });

  it("answers a double-CRLF keep-alive ping with a CRLF pong (RFC 5626 §4.4.1)", async () => {
    const { stack, port } = await startStack("tcp");
    const socket = connect(port, "127.0.0.1");
    const pong = new Promise<string>((resolve) => socket.once("data", (data) => resolve(data.toString())));
    socket.write("\r\n\r\n");
    expect(await pong).toBe("\r\n");
    socket.destroy();
    await stack.close();
  });

  it("closes connections idle longer than the idle timeout", async () => {
    const { stack, port, clock } = await startStack("tcp", { tcpIdleTimeoutMs: 10_000 });
    const peer = await openTcpPeer(port);
    peer.send("\r\n");
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(20_000);
    await peer.closed;
    await stack.close();
  });
});
