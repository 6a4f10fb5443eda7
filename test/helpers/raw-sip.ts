import { createSocket, type Socket } from "node:dgram";
import { parseMessage, type SipMessage, type SipResponse } from "../../src/sip/index.ts";

/** A UDP SIP peer for tests: sends hand-written requests and collects parsed responses. */
export interface RawSipPeer {
  readonly port: number;
  /** Sends text (LF line ends are turned into CRLF, Content-Length computed when given as `%LEN%`). */
  send(text: string, to: number): void;
  /** Sends raw bytes (garbage). */
  sendBytes(bytes: Uint8Array, to: number): void;
  /** Waits for the next final response (status ≥ 200) to `callId`. */
  finalResponse(callId: string, timeoutMs?: number): Promise<SipResponse>;
  close(): void;
}

/** Opens a UDP socket on 127.0.0.1 for {@link RawSipPeer}. */
export async function openRawSipPeer(): Promise<RawSipPeer> {
  const socket: Socket = createSocket("udp4");
  const received: SipMessage[] = [];
  const waiters: Array<() => void> = [];
  socket.on("message", (data) => {
    try {
      received.push(parseMessage(new Uint8Array(data)));
    } catch {
      return;
    }
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  return {
    port,
    send(text, to) {
      const [head = "", body = ""] = text.replace(/\r?\n/g, "\r\n").split(/\r\n\r\n([\s\S]*)/);
      const message = `${head.replace("%LEN%", String(Buffer.byteLength(body)))}\r\n\r\n${body}`;
      socket.send(Buffer.from(message), to, "127.0.0.1");
    },
    sendBytes(bytes, to) {
      socket.send(bytes, to, "127.0.0.1");
    },
    async finalResponse(callId, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(
          (m): m is SipResponse => "status" in m && m.status >= 200 && m.callId === callId,
        );
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no final response for ${callId}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => socket.close(),
  };
}

/** Options of {@link sipInvite}: what to vary in a SIPREC INVITE written by hand. */
export interface InviteParts {
  callId: string;
  /** Our UDP port (Via, Contact). */
  port: number;
  /** The SRS's port (Request-URI). */
  srsPort: number;
  /** Content-Type header value. */
  contentType: string;
  /** The whole body. */
  body: string;
  /** Method and CSeq. @default "INVITE" */
  method?: string;
  /** To tag, for in-dialog requests. */
  toTag?: string;
}

/** A SIPREC INVITE (or another request) as an SBC would write it, with `%LEN%` for Content-Length. */
export function sipInvite(p: InviteParts): string {
  const method = p.method ?? "INVITE";
  return `${method} sip:srs@127.0.0.1:${p.srsPort} SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bK-${p.callId}-${method}
Max-Forwards: 70
From: "SBC" <sip:src@127.0.0.1>;tag=src-${p.callId}
To: <sip:srs@127.0.0.1>${p.toTag ? `;tag=${p.toTag}` : ""}
Call-ID: ${p.callId}
CSeq: ${method === "INVITE" ? 1 : 2} ${method}
Contact: <sip:src@127.0.0.1:${p.port}>;+sip.src
Require: siprec
Content-Type: ${p.contentType}
Content-Length: %LEN%

${p.body}`;
}

/** A two-m-line sendonly SDP offer with the given codec lines. */
export function offerSdp(port: number, formats: { pt: number; rtpmap: string }[]): string {
  const m = (label: number, p: number) =>
    `m=audio ${p} RTP/AVP ${formats.map((f) => f.pt).join(" ")}
${formats.map((f) => `a=rtpmap:${f.pt} ${f.rtpmap}`).join("\n")}
a=label:${label}
a=sendonly`;
  return `v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
${m(1, port)}
${m(2, port + 2)}
`;
}

/** RFC 7865 metadata with two participants on labels 1 and 2. */
export function metadataXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="c2Vzc2lvbi0x"><sipSessionID>abc</sipSessionID></session>
  <participant participant_id="cGFydC0x"><nameID aor="sip:alice@example.com"><name>Alice</name></nameID></participant>
  <participant participant_id="cGFydC0y"><nameID aor="sip:bob@example.com"><name>Bob</name></nameID></participant>
  <stream stream_id="c3RyLTE=" session_id="c2Vzc2lvbi0x"><label>1</label></stream>
  <stream stream_id="c3RyLTI=" session_id="c2Vzc2lvbi0x"><label>2</label></stream>
  <participantstreamassoc participant_id="cGFydC0x"><send>c3RyLTE=</send><recv>c3RyLTI=</recv></participantstreamassoc>
  <participantstreamassoc participant_id="cGFydC0y"><send>c3RyLTI=</send><recv>c3RyLTE=</recv></participantstreamassoc>
</recording>`;
}

/** A multipart/mixed SIPREC body (RFC 7866 §9) with the given SDP and metadata. */
export function multipartBody(sdp: string, xml: string, boundary = "b0undary"): string {
  return `--${boundary}
Content-Type: application/sdp

${sdp}
--${boundary}
Content-Type: application/rs-metadata+xml
Content-Disposition: recording-session

${xml}
--${boundary}--
`;
}
