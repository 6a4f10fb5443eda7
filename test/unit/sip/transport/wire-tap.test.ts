import { describe, expect, it } from "vitest";
import type { SipWireEvent } from "../../../../src/sip/index.ts";
import { openTcpPeer, openUdpPeer, requestText, startStack } from "../sip-test-peer.ts";

/** What a test keeps of a wire event: the bytes copied (the tap's view is only valid during the call). */
interface Seen {
  direction: string;
  transport: string;
  local: string;
  remote: string;
  text: string;
}

function keep(into: Seen[]): (event: SipWireEvent) => void {
  return (event) =>
    into.push({
      direction: event.direction,
      transport: event.transport,
      local: `${event.local.address}:${event.local.port}`,
      remote: `${event.remote.address}:${event.remote.port}`,
      text: Buffer.from(event.bytes).toString("latin1"),
    });
}

describe("the SIP wire tap", () => {
  it("hands over every UDP datagram received, an unparseable one too, and every response sent", async () => {
    const { stack, port } = await startStack("udp");
    stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    const seen: Seen[] = [];
    stack.onWire(keep(seen));
    const peer = await openUdpPeer(port);
    peer.send("NOT SIP AT ALL\r\n\r\n");
    const options = requestText({ method: "OPTIONS", port: peer.port });
    peer.send(options);
    const ok = await peer.nextResponse();
    expect(seen.map((s) => [s.direction, s.transport, s.local, s.remote])).toEqual([
      ["in", "udp", `127.0.0.1:${port}`, `127.0.0.1:${peer.port}`],
      ["in", "udp", `127.0.0.1:${port}`, `127.0.0.1:${peer.port}`],
      ["out", "udp", `127.0.0.1:${port}`, `127.0.0.1:${peer.port}`],
    ]);
    expect(seen[0]?.text).toBe("NOT SIP AT ALL\r\n\r\n");
    expect(seen[1]?.text).toBe(options);
    expect(seen[2]?.text).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(ok.status).toBe(200);
    await peer.close();
    await stack.close();
  });

  it("hands over each TCP message exactly as framed, two in one segment as two, and what it sends", async () => {
    const { stack, port } = await startStack("tcp");
    stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    const seen: Seen[] = [];
    stack.onWire(keep(seen));
    const peer = await openTcpPeer(port);
    const first = requestText({ method: "OPTIONS", port: peer.port, transport: "TCP", branch: "z9hG4bK-a" });
    const second = requestText({ method: "OPTIONS", port: peer.port, transport: "TCP", branch: "z9hG4bK-b" });
    peer.send(`\r\n${first}${second}`);
    await peer.nextResponse();
    await peer.nextResponse();
    const inbound = seen.filter((s) => s.direction === "in");
    expect(inbound.map((s) => s.text)).toEqual([first, second]);
    expect(inbound[0]).toMatchObject({
      transport: "tcp",
      local: `127.0.0.1:${port}`,
      remote: `127.0.0.1:${peer.port}`,
    });
    expect(seen.filter((s) => s.direction === "out").map((s) => s.text.split("\r\n")[0])).toEqual([
      "SIP/2.0 200 OK",
      "SIP/2.0 200 OK",
    ]);
    await peer.close();
    await stack.close();
  });

  it("hands over the unparseable rest of a TCP stream before the connection closes", async () => {
    const { stack, port } = await startStack("tcp");
    const seen: Seen[] = [];
    stack.onWire(keep(seen));
    const bad = await openTcpPeer(port);
    bad.send("HELLO\r\n\r\n");
    await bad.closed;
    expect(seen.map((s) => [s.direction, s.text])).toEqual([["in", "HELLO\r\n\r\n"]]);
    await stack.close();
  });

  it("keeps working when a tap throws", async () => {
    const { stack, port } = await startStack("udp");
    stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    stack.onWire(() => {
      throw new Error("broken tap");
    });
    const peer = await openUdpPeer(port);
    peer.send(requestText({ method: "OPTIONS", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(200);
    await peer.close();
    await stack.close();
  });
});
