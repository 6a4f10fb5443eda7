import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket as TcpSocket } from "node:net";
import {
  createSipStack,
  type Dialog,
  type DialogEvents,
  parseMessage,
  type SipMessage,
  SipResponse,
  type SipStack,
  type SipStackOptions,
  SipStreamParser,
} from "../../../src/sip/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

/** Fields of a test request; defaults make a valid out-of-dialog request from the peer. */
export interface RequestSpec {
  method: string;
  port: number;
  transport?: "UDP" | "TCP";
  branch?: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  cseq?: number;
  cseqMethod?: string;
  body?: string;
  extra?: string[];
}

/** Builds a request text (CRLF line ends) as a SIP peer at 127.0.0.1:`port` would send it. */
export function requestText(spec: RequestSpec): string {
  const body = spec.body ?? "";
  const lines = [
    `${spec.method} sip:srs@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${spec.transport ?? "UDP"} 127.0.0.1:${spec.port};branch=${spec.branch ?? "z9hG4bK-test-1"};rport`,
    "Max-Forwards: 70",
    `From: "Peer" <sip:src@127.0.0.1>;tag=${spec.fromTag ?? "from-1"}`,
    `To: <sip:srs@127.0.0.1>${spec.toTag ? `;tag=${spec.toTag}` : ""}`,
    `Call-ID: ${spec.callId ?? "call-1@127.0.0.1"}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.cseqMethod ?? spec.method}`,
    `Contact: <sip:src@127.0.0.1:${spec.port}>`,
    ...(spec.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ];
  return lines.join("\r\n");
}

/** Waits for messages from a socket; `next()` resolves with the next one (fails after `guardMs`). */
class Inbox {
  readonly #queue: SipMessage[] = [];
  readonly #waiters: Array<(message: SipMessage) => void> = [];

  push(message: SipMessage): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(message);
    else this.#queue.push(message);
  }

  next(guardMs: number): Promise<SipMessage> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`no SIP message within ${guardMs} ms`)), guardMs);
      this.#waiters.push((message) => {
        clearTimeout(guard);
        resolve(message);
      });
    });
  }
}

/** A raw SIP peer for tests (the SBC side), over UDP or TCP on 127.0.0.1. */
export interface SipTestPeer {
  /** Our local port (put in Via). */
  readonly port: number;
  /** Transport name for Via. */
  readonly transport: "UDP" | "TCP";
  /** Sends raw text or bytes to the stack. */
  send(data: string | Uint8Array): void;
  /** The next message received (rejects after a guard so a broken test fails instead of hanging). */
  next(guardMs?: number): Promise<SipMessage>;
  /** The next message, asserted to be a response. */
  nextResponse(guardMs?: number): Promise<SipResponse>;
  /** Closes the socket. */
  close(): Promise<void>;
}

async function nextResponse(peer: SipTestPeer, guardMs?: number): Promise<SipResponse> {
  const message = await peer.next(guardMs);
  if (!(message instanceof SipResponse)) throw new Error("expected a response, got a request");
  return message;
}

/** Opens a UDP peer that talks to the stack at 127.0.0.1:`stackPort`. */
export async function openUdpPeer(stackPort: number): Promise<SipTestPeer> {
  const socket: UdpSocket = createSocket("udp4");
  const inbox = new Inbox();
  socket.on("message", (data) => inbox.push(parseMessage(data)));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const peer: SipTestPeer = {
    port: socket.address().port,
    transport: "UDP",
    send: (data) => socket.send(typeof data === "string" ? Buffer.from(data) : data, stackPort, "127.0.0.1"),
    next: (guardMs = 3000) => inbox.next(guardMs),
    nextResponse: (guardMs) => nextResponse(peer, guardMs),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  return peer;
}

/** Opens a TCP connection to the stack at 127.0.0.1:`stackPort`. */
export async function openTcpPeer(
  stackPort: number,
): Promise<SipTestPeer & { readonly closed: Promise<void> }> {
  const socket: TcpSocket = connect(stackPort, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  const inbox = new Inbox();
  const parser = new SipStreamParser();
  socket.on("data", (chunk: Buffer) => {
    for (const message of parser.push(chunk)) inbox.push(message);
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const peer = {
    port: socket.localPort ?? 0,
    transport: "TCP" as const,
    closed,
    send: (data: string | Uint8Array) => {
      socket.write(typeof data === "string" ? Buffer.from(data) : data);
    },
    next: (guardMs = 3000) => inbox.next(guardMs),
    nextResponse: (guardMs?: number) => nextResponse(peer, guardMs),
    close: async () => {
      socket.destroy();
      await closed;
    },
  };
  return peer;
}

/** A started stack on 127.0.0.1 (port 0) driven by a manual clock. */
export interface TestStack {
  stack: SipStack;
  clock: ManualClock;
  port: number;
}

/** Starts a stack listening on one 127.0.0.1 socket of `transport`, timers on a {@link ManualClock}. */
export async function startStack(
  transport: "udp" | "tcp" = "udp",
  options: Partial<SipStackOptions> = {},
): Promise<TestStack> {
  const clock = new ManualClock();
  const stack = createSipStack({ listen: [{ transport, host: "127.0.0.1", port: 0 }], clock, ...options });
  await stack.start();
  return { stack, clock, port: stack.listening()[0]?.port ?? 0 };
}

/** A promise with its resolve function exposed (to hold a handler open). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves with the arguments of the next `event` of a dialog. */
export function nextEvent<K extends keyof DialogEvents & string>(
  dialog: Dialog,
  event: K,
): Promise<DialogEvents[K]> {
  return new Promise((resolve) => dialog.once(event, (...args: DialogEvents[K]) => resolve(args)));
}
