import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildResponse,
  type SipLocalResponse,
  type SipMessage,
  SipRequest,
  SipResponse,
  SipStreamParser,
  serializeMessage,
} from "../../../../src/sip/index.ts";
import { startUac, type UacEnv } from "../raw-uas.ts";

/** A raw TCP SIP peer: counts connections, hands each parsed message to the test with its socket. */
interface TcpPeer {
  port: number;
  connections: number;
  next(): Promise<{ message: SipMessage; socket: Socket }>;
  close(): Promise<void>;
}

async function openTcpPeer(): Promise<TcpPeer> {
  const queue: Array<{ message: SipMessage; socket: Socket }> = [];
  const waiters: Array<(item: { message: SipMessage; socket: Socket }) => void> = [];
  const sockets = new Set<Socket>();
  const peer = {
    port: 0,
    connections: 0,
    next: () =>
      new Promise<{ message: SipMessage; socket: Socket }>((resolve, reject) => {
        const queued = queue.shift();
        if (queued) {
          resolve(queued);
          return;
        }
        const guard = setTimeout(() => reject(new Error("no SIP message within 3000 ms")), 3000);
        waiters.push((item) => {
          clearTimeout(guard);
          resolve(item);
        });
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((socket) => {
    peer.connections++;
    sockets.add(socket);
    const parser = new SipStreamParser();
    socket.on("data", (chunk: Buffer) => {
      for (const message of parser.push(chunk)) {
        const waiter = waiters.shift();
        if (waiter) waiter({ message, socket });
        else queue.push({ message, socket });
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  peer.port = typeof address === "object" && address ? address.port : 0;
  return peer;
}

async function nextRequest(peer: TcpPeer, method: string): Promise<{ request: SipRequest; socket: Socket }> {
  const { message, socket } = await peer.next();
  if (!(message instanceof SipRequest) || message.method !== method) throw new Error(`expected ${method}`);
  return { request: message, socket };
}

let uac: UacEnv;
let peer: TcpPeer;

afterEach(async () => {
  await peer.close();
  await uac.stack.close();
});

describe("outbound TCP (RFC 3261 §18.1.1)", () => {
  it("opens one connection to a peer and reuses it for later and concurrent requests", async () => {
    uac = await startUac(["udp"]);
    peer = await openTcpPeer();
    const hop = { transport: "tcp" as const, address: "127.0.0.1", port: peer.port };
    const uri = `sip:127.0.0.1:${peer.port};transport=tcp`;
    const requests = [1, 2, 3].map(() => uac.stack.request(hop, { method: "OPTIONS", uri }));
    for (let i = 0; i < 3; i++) {
      const { request, socket } = await nextRequest(peer, "OPTIONS");
      expect(request.via[0]?.transport).toBe("TCP");
      socket.write(serializeMessage(buildResponse(request, 200, undefined, { toTag: "p" })));
    }
    for (const request of requests) expect((await request.final).status).toBe(200);
    const later = uac.stack.request(hop, { method: "OPTIONS", uri });
    const { request, socket } = await nextRequest(peer, "OPTIONS");
    socket.write(serializeMessage(buildResponse(request, 200, undefined, { toTag: "p" })));
    expect((await later.final).status).toBe(200);
    expect(peer.connections).toBe(1);
  });

  it("reads the 2xx and the peer's in-dialog BYE from the connection it opened, and answers on it", async () => {
    uac = await startUac(["udp"]);
    peer = await openTcpPeer();
    const hop = { transport: "tcp" as const, address: "127.0.0.1", port: peer.port };
    const result = uac.stack.invite(hop, { uri: `sip:srs@127.0.0.1:${peer.port};transport=tcp` });
    const { request: invite, socket } = await nextRequest(peer, "INVITE");
    expect(invite.headers.get("contact")).toMatch(/;transport=tcp>$/);
    const contact = `<sip:srs@127.0.0.1:${peer.port};transport=tcp>`;
    const ok = buildResponse(invite, 200, undefined, { toTag: "srs", headers: { Contact: contact } });
    socket.write(serializeMessage(ok));
    const { dialog } = await result;
    if (!dialog) throw new Error("no dialog");
    await nextRequest(peer, "ACK");
    const terminated = new Promise((resolve) => dialog.once("terminated", resolve));
    const bye = new SipRequest("BYE", invite.headers.get("contact")?.slice(1, -1) ?? "");
    bye.headers
      .append("Via", `SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bK-bye-1`)
      .append("From", `<sip:srs@127.0.0.1>;tag=srs`)
      .append("To", invite.headers.get("from") ?? "")
      .append("Call-ID", invite.callId ?? "")
      .append("CSeq", "1 BYE")
      .append("Content-Length", "0");
    socket.write(serializeMessage(bye));
    const { message } = await peer.next();
    expect(message).toBeInstanceOf(SipResponse);
    expect([(message as SipResponse).status, message.cseq?.method]).toEqual([200, "BYE"]);
    expect(await terminated).toBe("bye");
    expect(peer.connections).toBe(1);
  });

  it("fails a request whose connection closes before the final response with a local 503", async () => {
    uac = await startUac(["udp"]);
    peer = await openTcpPeer();
    const hop = { transport: "tcp" as const, address: "127.0.0.1", port: peer.port };
    const result = uac.stack.invite(hop, { uri: `sip:srs@127.0.0.1:${peer.port};transport=tcp` });
    const { socket } = await nextRequest(peer, "INVITE");
    socket.destroy();
    const { response } = await result;
    expect(response.status).toBe(503);
    expect((response as SipLocalResponse).cause).toBe("transport");
  });

  it("reports a refused connection as a local 503 naming the target (RFC 3263 §4.3 failover)", async () => {
    uac = await startUac(["tcp"]);
    peer = await openTcpPeer();
    const closedPort = peer.port;
    await peer.close();
    peer = await openTcpPeer();
    const hop = { transport: "tcp" as const, address: "127.0.0.1", port: closedPort };
    const { response } = await uac.stack.invite(hop, {
      uri: `sip:srs@127.0.0.1:${closedPort};transport=tcp`,
    });
    expect(response.status).toBe(503);
    const local = response as SipLocalResponse;
    expect(local.cause).toBe("transport");
    expect(String((local.error as Error).message)).toContain(`tcp:127.0.0.1:${closedPort}`);
  });
});
