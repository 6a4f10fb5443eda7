import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildResponse,
  parseMessage,
  reasonPhrase,
  SipParseError,
  SipRequest,
  SipResponse,
  StatusCode,
  serializeMessage,
} from "../../../../src/sip/index.ts";

const siprecInvite = new Uint8Array(
  readFileSync(join(import.meta.dirname, "../../../fixtures/sip/siprec-invite.sip")),
);
const encoder = new TextEncoder();

function bytes(lines: string[], body = ""): Uint8Array {
  return encoder.encode(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

const validHead = [
  "OPTIONS sip:srs@192.0.2.10 SIP/2.0",
  "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1",
  "Max-Forwards: 70",
  "From: <sip:src@192.0.2.1>;tag=a",
  "To: <sip:srs@192.0.2.10>",
  "Call-ID: c1",
  "CSeq: 1 OPTIONS",
];

function parseInvite(): SipRequest {
  const msg = parseMessage(siprecInvite);
  if (!(msg instanceof SipRequest)) throw new Error("not a request");
  return msg;
}

describe("parseMessage", () => {
  it("reads a SIPREC INVITE: start line, parsed headers and the multipart body", () => {
    const msg = parseInvite();
    expect(msg.method).toBe("INVITE");
    expect(msg.uri).toBe("sip:srs@192.0.2.10:5060;transport=udp");
    expect(msg.version).toBe("SIP/2.0");
    expect(msg.callId).toBe("3c8e2f54-1d9a-4b1e-9c2b-7f0e1a2b3c4d@10.20.30.40");
    expect(msg.cseq).toEqual({ seq: 101, method: "INVITE" });
    expect(msg.from).toMatchObject({
      uri: "sip:src@sbc.example",
      tag: "src-8812af",
      display: "SBC Recorder",
    });
    expect(msg.to).toMatchObject({ uri: "sip:srs@192.0.2.10" });
    expect(msg.to?.tag).toBeUndefined();
    expect(msg.via[0]).toMatchObject({ transport: "UDP", host: "10.20.30.40", port: 5060, hasRport: true });
    expect(msg.via[0]?.branch).toBe("z9hG4bK-5a1c9e7d-0001");
    expect(msg.contentType).toBe("multipart/mixed");
    expect(msg.contentTypeRaw).toBe("multipart/mixed;boundary=siprec-boundary-7f3a");
    expect(msg.body.length).toBe(msg.contentLength);
    expect(msg.bodyText).toContain("application/rs-metadata+xml");
    expect(msg.headerAll("allow")).toEqual(["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "UPDATE", "INFO"]);
    expect(msg.header("require")).toBe("siprec");
  });

  it("finds headers case-insensitively and by compact form", () => {
    const msg = parseMessage(
      bytes(
        [
          "OPTIONS sip:srs@192.0.2.10 SIP/2.0",
          "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1",
          "f: <sip:src@192.0.2.1>;tag=a",
          "t: <sip:srs@192.0.2.10>",
          "i: compact-call",
          "CSEQ: 7 OPTIONS",
          "m: <sip:src@192.0.2.1>",
          "k: timer",
          "c: application/sdp",
          "l: 4",
        ],
        "v=0\n",
      ),
    );
    expect(msg.header("Call-ID")).toBe("compact-call");
    expect(msg.header("via")).toContain("z9hG4bK-1");
    expect(msg.header("CONTACT")).toBe("<sip:src@192.0.2.1>");
    expect(msg.header("supported")).toBe("timer");
    expect(msg.contentType).toBe("application/sdp");
    expect(msg.cseq).toEqual({ seq: 7, method: "OPTIONS" });
    expect(msg.bodyText).toBe("v=0\n");
  });

  it("splits list headers at commas outside quotes and <>, and keeps Date whole", () => {
    const msg = parseMessage(
      bytes([
        ...validHead,
        'Contact: "Smith, J" <sip:a@192.0.2.1;x=1,2>;q=0.5, <sip:b@192.0.2.2>',
        "Contact: <sip:c@192.0.2.3>",
        "Date: Sat, 13 Nov 2010 23:29:00 GMT",
      ]),
    );
    expect(msg.headerAll("contact")).toEqual([
      '"Smith, J" <sip:a@192.0.2.1;x=1,2>;q=0.5',
      "<sip:b@192.0.2.2>",
      "<sip:c@192.0.2.3>",
    ]);
    expect(msg.headerAll("date")).toEqual(["Sat, 13 Nov 2010 23:29:00 GMT"]);
  });

  it("tolerates unquoted display names with non-token characters SBCs send, but not commas", () => {
    const msg = parseMessage(
      bytes([
        ...validHead.filter((l) => !l.startsWith("From")),
        "From: Sales (EU) bob@example <sip:b@192.0.2.1>;tag=x",
      ]),
    );
    expect(msg.from?.display).toBe("Sales (EU) bob@example");
    const withComma = bytes([
      ...validHead.filter((l) => !l.startsWith("From")),
      "From: Smith, Bob <sip:b@192.0.2.1>;tag=x",
    ]);
    expect(() => parseMessage(withComma)).toThrow(SipParseError);
  });

  it("ignores a malformed Via received or rport instead of dropping the request", () => {
    const msg = parseMessage(
      bytes([
        ...validHead.filter((l) => !l.startsWith("Via")),
        "Via: SIP/2.0/UDP 192.0.2.1;received=nat.example;rport=x;branch=z9hG4bK-9",
      ]),
    );
    expect(msg.via[0]).toMatchObject({ host: "192.0.2.1", branch: "z9hG4bK-9", hasRport: true });
    expect(msg.via[0]?.received).toBeUndefined();
    expect(msg.via[0]?.rport).toBeUndefined();
  });

  it("takes the rest of a datagram as the body when Content-Length is absent", () => {
    const msg = parseMessage(bytes(validHead, "hello"));
    expect(new TextDecoder().decode(msg.body)).toBe("hello");
  });

  it("accepts bare LF line ends and leading CRLFs", () => {
    const msg = parseMessage(encoder.encode(`\r\n${validHead.join("\n")}\nContent-Length: 0\n\n`));
    expect(msg).toBeInstanceOf(SipRequest);
    expect(msg.callId).toBe("c1");
  });

  it("parses a response's status and reason", () => {
    const msg = parseMessage(bytes(["SIP/2.0 487 Request Terminated", ...validHead.slice(1)]));
    expect(msg).toBeInstanceOf(SipResponse);
    expect((msg as SipResponse).status).toBe(487);
    expect((msg as SipResponse).reason).toBe("Request Terminated");
  });

  it("parses a message with no Via; the stack decides what to do with it", () => {
    const msg = parseMessage(bytes(validHead.filter((line) => !line.startsWith("Via"))));
    expect(msg.via).toEqual([]);
  });

  const errorCases: Array<{ name: string; data: Uint8Array; offset?: number }> = [
    { name: "empty datagram", data: new Uint8Array(0) },
    { name: "only CRLFs", data: encoder.encode("\r\n\r\n") },
    { name: "no blank line after the headers", data: encoder.encode(`${validHead.join("\r\n")}\r\n`) },
    { name: "garbage start line", data: bytes(["hello world", ...validHead.slice(1)]), offset: 0 },
    {
      name: "SIP version without minor number",
      data: bytes(["OPTIONS sip:a@b SIP/2", ...validHead.slice(1)]),
    },
    { name: "status code with two digits", data: bytes(["SIP/2.0 20 OK", ...validHead.slice(1)]) },
    { name: "Request-URI without scheme", data: bytes(["OPTIONS srs SIP/2.0", ...validHead.slice(1)]) },
    { name: "header line without colon", data: bytes([...validHead, "NoColonHere"]) },
    { name: "header name with a space", data: bytes([...validHead, "Bad Name: x"]) },
    {
      name: "continuation line right after the start line",
      data: bytes([validHead[0] ?? "", " folded", ...validHead.slice(1)]),
    },
    { name: "two Call-ID headers", data: bytes([...validHead, "Call-ID: c2"]) },
    {
      name: "conflicting Content-Length headers",
      data: bytes([...validHead, "Content-Length: 0", "l: 1"], "x"),
    },
    {
      name: "Content-Length beyond the datagram",
      data: bytes([...validHead, "Content-Length: 10"], "short"),
    },
    {
      name: "CSeq number of 2^31",
      data: bytes([...validHead.filter((l) => !l.startsWith("CSeq")), "CSeq: 2147483648 OPTIONS"]),
    },
    { name: "Via without transport", data: bytes([...validHead, "Via: SIP/2.0 192.0.2.1"]) },
    { name: "Via with a port above 65535", data: bytes([...validHead, "Via: SIP/2.0/UDP 192.0.2.1:70000"]) },
    {
      name: "From with unterminated <",
      data: bytes([...validHead.filter((l) => !l.startsWith("From")), "From: <sip:a@b;tag=1"]),
    },
    {
      name: "Max-Forwards not a number",
      data: bytes([...validHead.filter((l) => !l.startsWith("Max")), "Max-Forwards: lots"]),
    },
  ];

  it.each(errorCases)("rejects $name with SipParseError (SIP_PARSE)", ({ data, offset }) => {
    let error: unknown;
    try {
      parseMessage(data);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SipParseError);
    expect((error as SipParseError).code).toBe("SIP_PARSE");
    if (offset !== undefined) expect((error as SipParseError).offset).toBe(offset);
  });

  it("reports the byte offset of the bad header line", () => {
    const data = bytes([...validHead, "Max-Forwards: x"]);
    const start = new TextDecoder().decode(data).indexOf("Max-Forwards: x");
    expect(() => parseMessage(data)).toThrow(expect.objectContaining({ offset: start }));
  });

  it("rejects a datagram larger than maxBytes", () => {
    expect(() => parseMessage(siprecInvite, { maxBytes: 1000 })).toThrow(SipParseError);
  });
});

describe("serializeMessage", () => {
  it("reproduces a parsed SIPREC INVITE byte for byte", () => {
    expect(Buffer.from(serializeMessage(parseInvite())).equals(Buffer.from(siprecInvite))).toBe(true);
  });

  it("rewrites a wrong Content-Length in place and drops duplicates", () => {
    const msg = parseMessage(bytes([...validHead, "l: 3"], "abc"));
    msg.body = encoder.encode("hello!");
    msg.headers.append("Content-Length", "99");
    const text = new TextDecoder().decode(serializeMessage(msg));
    expect(text).toContain("\r\nl: 6\r\n");
    expect(text).not.toContain("Content-Length");
    expect(text.endsWith("\r\n\r\nhello!")).toBe(true);
  });

  it("adds Content-Length when missing", () => {
    const msg = new SipRequest("OPTIONS", "sip:a@192.0.2.1");
    expect(new TextDecoder().decode(serializeMessage(msg))).toBe(
      "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n",
    );
  });
});

describe("buildResponse", () => {
  it("copies Via, From, To, Call-ID and CSeq and adds the To tag (RFC 3261 §8.2.6.2)", () => {
    const req = parseInvite();
    const res = buildResponse(req, StatusCode.Ok, undefined, {
      toTag: "srs-1",
      body: "v=0\r\n",
      contentType: "application/sdp",
      headers: { Contact: "<sip:srs@192.0.2.10>", Allow: ["INVITE", "BYE"] },
    });
    expect(res.status).toBe(200);
    expect(res.reason).toBe("OK");
    expect(res.headers.getAll("via")).toEqual(req.headers.getAll("via"));
    expect(res.header("from")).toBe(req.header("from"));
    expect(res.header("call-id")).toBe(req.callId);
    expect(res.header("cseq")).toBe("101 INVITE");
    expect(res.to?.tag).toBe("srs-1");
    expect(res.headers.getAll("allow")).toEqual(["INVITE", "BYE"]);
    expect(res.contentType).toBe("application/sdp");
    expect(res.contentLength).toBe(5);
    expect(res.header("require")).toBeUndefined();
  });

  it("keeps an existing To tag and uses the standard reason phrase", () => {
    const req = parseMessage(
      bytes([...validHead.filter((l) => !l.startsWith("To")), "To: <sip:srs@192.0.2.10>;tag=x"]),
    );
    const res = buildResponse(req as SipRequest, 481, undefined, { toTag: "other" });
    expect(res.to?.tag).toBe("x");
    expect(res.reason).toBe("Call/Transaction Does Not Exist");
  });

  it("names every RFC 3261 §21 status", () => {
    expect(reasonPhrase(StatusCode.RequestTerminated)).toBe("Request Terminated");
    expect(reasonPhrase(StatusCode.NotAcceptableHere)).toBe("Not Acceptable Here");
    expect(reasonPhrase(StatusCode.SessionIntervalTooSmall)).toBe("Session Interval Too Small");
    expect(reasonPhrase(499)).toBe("Client Error");
  });
});
