import { createSocket, type RemoteInfo } from "node:dgram";
import {
  type BuildResponseOptions,
  buildResponse,
  createSipStack,
  parseMessage,
  type SipMessage,
  SipRequest,
  SipResponse,
  type SipStack,
  type SipStackOptions,
  serializeMessage,
} from "../../../src/sip/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

/** A minimal SDP offer, as our side would send it. */
export const offerSdp =
  "v=0\r\no=uac 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n";

/** A minimal SDP answer, as a remote SRS would send it. */
export const answerSdp =
  "v=0\r\no=srs 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\na=recvonly\r\n";

/** Queue of received messages with a guard against hanging tests. */
class Inbox {
  readonly #queue: Array<{ message: SipMessage; from: RemoteInfo }> = [];
  readonly #waiters: Array<(item: { message: SipMessage; from: RemoteInfo }) => void> = [];

  push(item: { message: SipMessage; from: RemoteInfo }): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#queue.push(item);
  }

  next(guardMs: number): Promise<{ message: SipMessage; from: RemoteInfo }> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`no SIP message within ${guardMs} ms`)), guardMs);
      this.#waiters.push((item) => {
        clearTimeout(guard);
        resolve(item);
      });
    });
  }
}

/**
 * A scripted remote UAS (a remote SRS) on a raw UDP socket at 127.0.0.1: the test reads each request the
 * stack sends and decides every response, so retransmissions and odd answers can be provoked.
 */
export interface RawUas {
  /** Its UDP port. */
  readonly port: number;
  /** The next message received, with the sender's port. */
  next(guardMs?: number): Promise<{ message: SipMessage; fromPort: number }>;
  /** The next message, asserted to be a request of `method`. */
  nextRequest(method: string, guardMs?: number): Promise<SipRequest>;
  /** The next message, asserted to be a response. */
  nextResponse(guardMs?: number): Promise<SipResponse>;
  /** Answers `request` (to its source port); returns the response sent. */
  reply(request: SipRequest, status: number, options?: BuildResponseOptions): SipResponse;
  /** Sends a message or raw text to 127.0.0.1:`port`. */
  send(message: SipMessage | string, port: number): void;
  /** Closes the socket. */
  close(): Promise<void>;
}

/** Opens a {@link RawUas}; the sources of requests are remembered to address the replies. */
export async function openRawUas(): Promise<RawUas> {
  const socket = createSocket("udp4");
  const inbox = new Inbox();
  const sources = new WeakMap<SipMessage, number>();
  socket.on("message", (data, from) => {
    const message = parseMessage(data);
    sources.set(message, from.port);
    inbox.push({ message, from });
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const send = (message: SipMessage | string, port: number): void => {
    socket.send(
      typeof message === "string" ? Buffer.from(message) : serializeMessage(message),
      port,
      "127.0.0.1",
    );
  };
  const uas: RawUas = {
    port: socket.address().port,
    next: async (guardMs = 3000) => {
      const { message, from } = await inbox.next(guardMs);
      return { message, fromPort: from.port };
    },
    nextRequest: async (method, guardMs) => {
      const { message } = await uas.next(guardMs);
      if (!(message instanceof SipRequest) || message.method !== method) {
        const got = message instanceof SipRequest ? message.method : `${message.status} response`;
        throw new Error(`expected ${method}, got ${got}`);
      }
      return message;
    },
    nextResponse: async (guardMs) => {
      const { message } = await uas.next(guardMs);
      if (!(message instanceof SipResponse)) throw new Error(`expected a response, got ${message.method}`);
      return message;
    },
    reply: (request, status, options = {}) => {
      const response = buildResponse(request, status, undefined, options);
      send(response, sources.get(request) ?? 0);
      return response;
    },
    send,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  return uas;
}

/** A started stack (UAC side under test) on 127.0.0.1, timers on a {@link ManualClock}. */
export interface UacEnv {
  stack: SipStack;
  clock: ManualClock;
  /** Port of its first listener. */
  port: number;
}

/** Starts a stack listening on 127.0.0.1:0 for each transport given, on a manual clock. */
export async function startUac(
  transports: Array<"udp" | "tcp" | "tls"> = ["udp"],
  options: Partial<SipStackOptions> = {},
): Promise<UacEnv> {
  const clock = new ManualClock();
  const stack = createSipStack({
    listen: transports.map((transport) => ({ transport, host: "127.0.0.1", port: 0 })),
    clock,
    ...options,
  });
  await stack.start();
  return { stack, clock, port: stack.listening()[0]?.port ?? 0 };
}

/** The fields a remote UAS needs to send requests inside the dialog our INVITE created. */
export interface PeerDialog {
  /** Call-ID. */
  callId: string;
  /** Our From tag (their To tag). */
  ourTag: string;
  /** Their To tag (their From tag). */
  theirTag: string;
  /** Our Contact URI (their Request-URI). */
  ourContact: string;
  /** The port of the raw UAS (for its Via). */
  theirPort: number;
}

/** Text of a request the remote UAS sends inside the dialog (CRLF line ends). */
export function peerRequest(
  dialog: PeerDialog,
  method: string,
  cseq: number,
  options: { branch?: string; extra?: string[]; body?: string } = {},
): string {
  const body = options.body ?? "";
  return [
    `${method} ${dialog.ourContact} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${dialog.theirPort};branch=${options.branch ?? `z9hG4bK-peer-${method}-${cseq}`}`,
    "Max-Forwards: 70",
    `From: <sip:srs@127.0.0.1>;tag=${dialog.theirTag}`,
    `To: <sip:uac@127.0.0.1>;tag=${dialog.ourTag}`,
    `Call-ID: ${dialog.callId}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:srs@127.0.0.1:${dialog.theirPort}>`,
    ...(options.extra ?? []),
    ...(body === "" ? [] : ["Content-Type: application/sdp"]),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}
