import type { Socket as TcpSocket, udp } from "bun";
import {
  buildResponse,
  parseMessage,
  type SipMessage,
  SipRequest,
  SipStreamParser,
  serializeMessage,
} from "../../../../src/sip/index.ts";

/** How the test SRS answers an INVITE. */
export type TestSrsAnswer =
  | { kind: "accept"; mlines?: 1 | 2 }
  | { kind: "refuse"; status: number; reason: string }
  | { kind: "silent" };

/** Options of {@link startTestSrs}. */
export interface TestSrsOptions {
  transport: "udp" | "tcp";
  answer: TestSrsAnswer;
  /** Payload type to put in the answer's m-lines. @default 0 */
  payloadType?: number;
  /** Send a BYE to the SRC once m-line 1 has received this many RTP packets. */
  byeAfterPackets?: number;
}

/** What one answered m-line received. */
export interface ReceivedStream {
  /** Payload bytes of every packet, concatenated in arrival order. */
  payload: () => Uint8Array;
  /** RTP headers of every packet, in arrival order. */
  headers: Array<{ marker: boolean; payloadType: number; seq: number; timestamp: number; ssrc: number }>;
}

/** A throw-away SRS on 127.0.0.1: SIP over UDP or TCP plus two RTP sockets. */
export interface TestSrs {
  /** SIP port. */
  port: number;
  /** Every request received, in order (retransmissions included). */
  requests: SipRequest[];
  /** Every response the SRC sent (to our BYE). */
  responses: SipMessage[];
  /** The two media sockets' receptions. */
  streams: [ReceivedStream, ReceivedStream];
  /** Resolves when `n` requests of `method` have arrived. */
  waitFor(method: string, n?: number): Promise<void>;
  /** Resolves when `n` responses have arrived. */
  waitForResponses(n: number): Promise<void>;
  close(): void;
}

function receivedStream(): ReceivedStream & { add(packet: Uint8Array): void } {
  const chunks: Uint8Array[] = [];
  const headers: ReceivedStream["headers"] = [];
  return {
    headers,
    payload: () => new Uint8Array(Buffer.concat(chunks)),
    add(packet) {
      const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
      headers.push({
        marker: (view.getUint8(1) & 0x80) !== 0,
        payloadType: view.getUint8(1) & 0x7f,
        seq: view.getUint16(2),
        timestamp: view.getUint32(4),
        ssrc: view.getUint32(8),
      });
      chunks.push(packet.slice(12));
    },
  };
}

function answerSdp(ports: number[], mlines: number, payloadType: number): string {
  const name = payloadType === 8 ? "PCMA" : "PCMU";
  const media = ports
    .slice(0, mlines)
    .flatMap((port, i) => [
      `m=audio ${port} RTP/AVP ${payloadType}`,
      `a=rtpmap:${payloadType} ${name}/8000`,
      `a=label:${i + 1}`,
      "a=recvonly",
    ]);
  return ["v=0", "o=test-srs 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", ...media, ""].join(
    "\r\n",
  );
}

/** A BYE from the SRS side of the dialog the INVITE created (RFC 3261 §15.1.1). */
function srsBye(invite: SipRequest, port: number, transport: string): SipRequest {
  const request = new SipRequest("BYE", invite.headerAll("contact")[0]?.replace(/^.*<|>.*$/g, "") ?? "");
  request.headers
    .append("Via", `SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK-test-srs-bye`)
    .append("Max-Forwards", "70")
    .append("From", `${invite.header("to")};tag=test-srs`)
    .append("To", invite.header("from") ?? "")
    .append("Call-ID", invite.callId ?? "")
    .append("CSeq", "1 BYE");
  return request;
}

/** Starts the test SRS; it answers INVITE per `options.answer`, BYE with 200, anything else but ACK with 200. */
export async function startTestSrs(options: TestSrsOptions): Promise<TestSrs> {
  const requests: SipRequest[] = [];
  const responses: SipMessage[] = [];
  const waiters: Array<() => void> = [];
  const streams: [ReturnType<typeof receivedStream>, ReturnType<typeof receivedStream>] = [
    receivedStream(),
    receivedStream(),
  ];
  let reply: (message: SipMessage) => void = () => {};
  let invite: SipRequest | undefined;
  let byeSent = false;
  const media = await Promise.all(
    streams.map((stream) =>
      Bun.udpSocket({
        hostname: "127.0.0.1",
        port: 0,
        socket: {
          data(_socket, data) {
            stream.add(data);
            if (stream !== streams[0] || !invite || byeSent) return;
            if (options.byeAfterPackets !== undefined && stream.headers.length >= options.byeAfterPackets) {
              byeSent = true;
              reply(srsBye(invite, sip.port, options.transport.toUpperCase()));
            }
          },
        },
      }),
    ),
  );
  const onMessage = (message: SipMessage, send: (m: SipMessage) => void): void => {
    reply = send;
    if (!(message instanceof SipRequest)) {
      responses.push(message);
      for (const wake of waiters.splice(0)) wake();
      return;
    }
    requests.push(message);
    for (const wake of waiters.splice(0)) wake();
    if (message.method === "ACK") return;
    if (message.method !== "INVITE") {
      send(buildResponse(message, 200));
      return;
    }
    invite = message;
    const { answer } = options;
    if (answer.kind === "silent") return;
    send(buildResponse(message, 100));
    if (answer.kind === "refuse") {
      send(buildResponse(message, answer.status, answer.reason, { toTag: "test-srs" }));
      return;
    }
    const sdp = answerSdp(
      media.map((socket) => socket.port),
      answer.mlines ?? 2,
      options.payloadType ?? 0,
    );
    send(
      buildResponse(message, 200, "OK", {
        toTag: "test-srs",
        headers: { Contact: `<sip:srs@127.0.0.1:${sip.port}>;+sip.srs` },
        contentType: "application/sdp",
        body: sdp,
      }),
    );
  };
  const sip = options.transport === "udp" ? await udpSip(onMessage) : tcpSip(onMessage);
  const until = (done: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = () => (done() ? resolve() : waiters.push(check));
      check();
    });
  return {
    port: sip.port,
    requests,
    responses,
    streams,
    waitFor: (method, n = 1) => until(() => requests.filter((r) => r.method === method).length >= n),
    waitForResponses: (n) => until(() => responses.length >= n),
    close() {
      sip.close();
      for (const socket of media) socket.close();
    },
  };
}

type OnMessage = (message: SipMessage, send: (m: SipMessage) => void) => void;

async function udpSip(onMessage: OnMessage): Promise<{ port: number; close(): void }> {
  const socket: udp.Socket<"buffer"> = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(_socket, data, port, address) {
        onMessage(parseMessage(data), (m) => socket.send(serializeMessage(m), port, address));
      },
    },
  });
  return { port: socket.port, close: () => socket.close() };
}

function tcpSip(onMessage: OnMessage): { port: number; close(): void } {
  const parsers = new WeakMap<TcpSocket<undefined>, SipStreamParser>();
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        parsers.set(socket, new SipStreamParser());
      },
      data(socket, data) {
        for (const message of parsers.get(socket)?.push(data) ?? []) {
          onMessage(message, (m) => socket.write(serializeMessage(m)));
        }
      },
    },
  });
  return { port: server.port, close: () => server.stop(true) };
}
