import { describe, expect, it } from "vitest";
import {
  buildRecordingOffer,
  parseRecordingAnswer,
  parseSdp,
  type RecordingOfferInput,
  SdpParseError,
} from "../../../src/sdp/index.ts";

const KEY_1 = "1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^31";
const KEY_2 = "2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^31";

const offer: RecordingOfferInput = {
  origin: { sessionId: "3916182209", sessionVersion: 1, address: "192.0.2.10" },
  address: "192.0.2.10",
  streams: [
    { port: 40000, label: "1", codecs: ["PCMA"] },
    { port: 40002, label: "2", codecs: ["PCMA"] },
  ],
};

const crlf = (...lines: string[]) => `${lines.join("\r\n")}\r\n`;

describe("buildRecordingOffer", () => {
  it("offers one sendonly m-line per forwarded stream with rtpmap, ptime and label", () => {
    expect(buildRecordingOffer(offer)).toBe(
      crlf(
        "v=0",
        "o=- 3916182209 1 IN IP4 192.0.2.10",
        "s=-",
        "c=IN IP4 192.0.2.10",
        "t=0 0",
        "m=audio 40000 RTP/AVP 8",
        "a=rtpmap:8 PCMA/8000",
        "a=ptime:20",
        "a=label:1",
        "a=sendonly",
        "m=audio 40002 RTP/AVP 8",
        "a=rtpmap:8 PCMA/8000",
        "a=ptime:20",
        "a=label:2",
        "a=sendonly",
      ),
    );
  });

  it("offers RTP/SAVP with the given a=crypto lines when SRTP keys are given", () => {
    const sdp = buildRecordingOffer({
      ...offer,
      streams: [{ port: 40000, label: "1", codecs: ["PCMU", "PCMA"], crypto: [KEY_1, KEY_2] }],
    });
    expect(sdp).toContain(
      crlf(
        "m=audio 40000 RTP/SAVP 0 8",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=ptime:20",
        `a=crypto:${KEY_1}`,
        `a=crypto:${KEY_2}`,
        "a=label:1",
        "a=sendonly",
      ),
    );
  });

  it("offers a=inactive for a pause re-INVITE with a new session version", () => {
    const sdp = buildRecordingOffer({
      ...offer,
      origin: { ...offer.origin, sessionVersion: 2 },
      direction: "inactive",
    });
    expect(sdp).toContain("o=- 3916182209 2 IN IP4 192.0.2.10\r\n");
    expect(sdp.match(/^a=inactive$/gm)).toHaveLength(2);
    expect(sdp).not.toContain("sendonly");
  });

  it("writes IPv6 addresses, a session name, rtcp-mux and a per-stream direction", () => {
    const sdp = buildRecordingOffer({
      origin: { username: "siprec-edge", sessionId: "42", sessionVersion: 0, address: "2001:db8::10" },
      sessionName: "SIPREC forward",
      address: "2001:db8::10",
      ptime: 30,
      streams: [{ port: 40000, label: "a_leg", codecs: ["PCMU"], rtcpMux: true, direction: "inactive" }],
    });
    expect(sdp).toContain(
      "o=siprec-edge 42 0 IN IP6 2001:db8::10\r\ns=SIPREC forward\r\nc=IN IP6 2001:db8::10\r\n",
    );
    expect(sdp).toContain("a=ptime:30\r\na=rtcp-mux\r\na=label:a_leg\r\na=inactive\r\n");
  });

  it("parses back as an SRC offer the SRS side understands", () => {
    const parsed = parseSdp(buildRecordingOffer(offer));
    expect(parsed.media.map((m) => [m.port, m.proto, m.label, m.direction, m.ptime])).toEqual([
      [40000, "RTP/AVP", "1", "sendonly", 20],
      [40002, "RTP/AVP", "2", "sendonly", 20],
    ]);
    expect(parsed.media[0]?.formats).toEqual([{ payloadType: 8, encoding: "PCMA", rate: 8000, channels: 1 }]);
  });

  it.each([
    { name: "a label with a line break", patch: { label: "1\r\na=recvonly" } },
    { name: "a label with a space", patch: { label: "a b" } },
    { name: "an empty label", patch: { label: "" } },
    { name: "a port above 65535", patch: { port: 70000 } },
    { name: "a fractional port", patch: { port: 4000.5 } },
    { name: "no codec", patch: { codecs: [] } },
    {
      name: "an a=crypto value with a line break",
      patch: { crypto: ["1 AES_CM_128_HMAC_SHA1_80 inline:x\r\na=x"] },
    },
  ])("refuses $name", ({ patch }) => {
    expect(() => buildRecordingOffer({ ...offer, streams: [{ ...offer.streams[0]!, ...patch }] })).toThrow(
      RangeError,
    );
  });

  it("refuses an offer without streams or with an address that would break the o= line", () => {
    expect(() => buildRecordingOffer({ ...offer, streams: [] })).toThrow(RangeError);
    expect(() => buildRecordingOffer({ ...offer, address: "192.0.2.10 IN" })).toThrow(RangeError);
    expect(() => buildRecordingOffer({ ...offer, origin: { ...offer.origin, sessionVersion: -1 } })).toThrow(
      RangeError,
    );
  });
});

describe("parseRecordingAnswer", () => {
  it("reads a typical SRS answer: recvonly, media address and port per m-line", () => {
    const answer = crlf(
      "v=0",
      "o=SRS 1716 1716 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/AVP 8",
      "a=rtpmap:8 PCMA/8000",
      "a=label:1",
      "a=recvonly",
      "m=audio 20002 RTP/AVP 8",
      "a=rtpmap:8 PCMA/8000",
      "a=label:2",
      "a=recvonly",
    );
    expect(parseRecordingAnswer(answer, offer)).toEqual([
      {
        index: 0,
        label: "1",
        accepted: true,
        address: "198.51.100.20",
        port: 20000,
        rtcpPort: 20001,
        rtcpMux: false,
        direction: "recvonly",
        sendAllowed: true,
        payloadType: 8,
        codec: "PCMA",
        crypto: [],
      },
      {
        index: 1,
        label: "2",
        accepted: true,
        address: "198.51.100.20",
        port: 20002,
        rtcpPort: 20003,
        rtcpMux: false,
        direction: "recvonly",
        sendAllowed: true,
        payloadType: 8,
        codec: "PCMA",
        crypto: [],
      },
    ]);
  });

  it("tolerates an answer without direction, labels or rtpmap, with LF line endings", () => {
    const answer =
      "v=0\no=- 1 1 IN IP4 198.51.100.20\ns=-\nt=0 0\nm=audio 20000 RTP/AVP 8\nc=IN IP4 198.51.100.21\n";
    const [first, second] = parseRecordingAnswer(answer, offer);
    expect(first).toMatchObject({
      accepted: true,
      address: "198.51.100.21",
      port: 20000,
      direction: "sendrecv",
      sendAllowed: true,
      payloadType: 8,
    });
    expect(second).toMatchObject({ accepted: false, port: 0, sendAllowed: false });
    expect(second?.refusedReason).toMatch(/no m-line/);
  });

  it("reports an m-line the SRS refused with port 0, and keeps the other", () => {
    const answer = crlf(
      "v=0",
      "o=- 1 1 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 0 RTP/AVP 8",
      "m=audio 20002 RTP/AVP 8",
      "a=recvonly",
    );
    const [first, second] = parseRecordingAnswer(answer, offer);
    expect(first).toMatchObject({ index: 0, label: "1", accepted: false, port: 0, sendAllowed: false });
    expect(first?.refusedReason).toMatch(/port 0/);
    expect(second).toMatchObject({ index: 1, label: "2", accepted: true, port: 20002, sendAllowed: true });
  });

  it("reads attributes in any order, rtcp-mux and a=rtcp, and the first offered codec the SRS lists", () => {
    const twoCodecs: RecordingOfferInput = {
      ...offer,
      streams: [
        { port: 40000, label: "1", codecs: ["PCMU", "PCMA"], rtcpMux: true },
        { port: 40002, label: "2", codecs: ["PCMU", "PCMA"] },
      ],
    };
    const answer = crlf(
      "v=0",
      "o=- 1 1 IN IP4 198.51.100.20",
      "s=-",
      "t=0 0",
      "m=audio 20000 RTP/AVP 18 8 0",
      "a=recvonly",
      "a=rtcp-mux",
      "a=label:1",
      "c=IN IP4 198.51.100.30",
      "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:18 G729/8000",
      "m=audio 20004 RTP/AVP 0",
      "a=rtcp:20011",
      "c=IN IP4 198.51.100.31",
      "a=label:2",
      "a=recvonly",
    );
    const [first, second] = parseRecordingAnswer(answer, twoCodecs);
    expect(first).toMatchObject({
      address: "198.51.100.30",
      port: 20000,
      rtcpPort: 20000,
      rtcpMux: true,
      payloadType: 8,
      codec: "PCMA",
    });
    expect(second).toMatchObject({
      address: "198.51.100.31",
      rtcpPort: 20011,
      payloadType: 0,
      codec: "PCMU",
    });
  });

  it("sends with the SRS's own payload type number when it maps PCMU to a dynamic one", () => {
    const pcmu: RecordingOfferInput = { ...offer, streams: [{ port: 40000, label: "1", codecs: ["PCMU"] }] };
    const answer = crlf(
      "v=0",
      "o=- 1 1 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/AVP 96",
      "a=rtpmap:96 pcmu/8000",
      "a=recvonly",
    );
    expect(parseRecordingAnswer(answer, pcmu)[0]).toMatchObject({
      accepted: true,
      payloadType: 96,
      codec: "PCMU",
    });
  });

  it("refuses an m-line whose answer lists none of the offered codecs", () => {
    const answer = crlf(
      "v=0",
      "o=- 1 1 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/AVP 0",
      "a=recvonly",
      "m=audio 20002 RTP/AVP 8",
      "a=recvonly",
    );
    const [first, second] = parseRecordingAnswer(answer, offer);
    expect(first).toMatchObject({ accepted: false, sendAllowed: false });
    expect(first?.refusedReason).toMatch(/none of the offered codecs/);
    expect(second?.accepted).toBe(true);
  });

  it("does not send on an m-line answered inactive or put on hold with c=0.0.0.0", () => {
    const answer = crlf(
      "v=0",
      "o=- 1 2 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/AVP 8",
      "a=inactive",
      "m=audio 20002 RTP/AVP 8",
      "c=IN IP4 0.0.0.0",
      "a=recvonly",
    );
    const [first, second] = parseRecordingAnswer(answer, offer);
    expect(first).toMatchObject({ accepted: true, direction: "inactive", sendAllowed: false });
    expect(second).toMatchObject({ accepted: true, address: "0.0.0.0", sendAllowed: false });
  });

  it("does not send after a pause offer even if the SRS answers recvonly", () => {
    const paused: RecordingOfferInput = { ...offer, direction: "inactive" };
    const answer = crlf(
      "v=0",
      "o=- 1 2 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/AVP 8",
      "a=recvonly",
      "m=audio 20002 RTP/AVP 8",
      "a=inactive",
    );
    expect(parseRecordingAnswer(answer, paused).map((s) => [s.accepted, s.sendAllowed])).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it("returns the answer's a=crypto lines for an SRTP offer", () => {
    const srtp: RecordingOfferInput = {
      ...offer,
      streams: [{ port: 40000, label: "1", codecs: ["PCMA"], crypto: [KEY_1, KEY_2] }],
    };
    const answerKey = "2 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0|2^31";
    const answer = crlf(
      "v=0",
      "o=- 1 1 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/SAVP 8",
      `a=crypto:${answerKey}`,
      "a=recvonly",
    );
    expect(parseRecordingAnswer(answer, srtp)[0]).toMatchObject({
      accepted: true,
      sendAllowed: true,
      crypto: [answerKey],
    });
  });

  it("refuses an SRTP m-line answered as plain RTP/AVP or without a=crypto", () => {
    const srtp: RecordingOfferInput = {
      ...offer,
      streams: [
        { port: 40000, label: "1", codecs: ["PCMA"], crypto: [KEY_1] },
        { port: 40002, label: "2", codecs: ["PCMA"], crypto: [KEY_1] },
      ],
    };
    const answer = crlf(
      "v=0",
      "o=- 1 1 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/AVP 8",
      "a=recvonly",
      "m=audio 20002 RTP/SAVP 8",
      "a=recvonly",
    );
    const [first, second] = parseRecordingAnswer(answer, srtp);
    expect(first?.accepted).toBe(false);
    expect(first?.refusedReason).toMatch(/RTP\/AVP/);
    expect(second?.accepted).toBe(false);
    expect(second?.refusedReason).toMatch(/a=crypto/);
  });

  it("ignores m-lines the answer adds beyond the offer", () => {
    const answer = crlf(
      "v=0",
      "o=- 1 1 IN IP4 198.51.100.20",
      "s=-",
      "c=IN IP4 198.51.100.20",
      "t=0 0",
      "m=audio 20000 RTP/AVP 8",
      "m=audio 20002 RTP/AVP 8",
      "m=audio 20004 RTP/AVP 8",
    );
    expect(parseRecordingAnswer(answer, offer)).toHaveLength(2);
  });

  it("refuses an m-line for which the answer gives no c= address", () => {
    const answer = crlf("v=0", "o=- 1 1 IN IP4 198.51.100.20", "s=-", "t=0 0", "m=audio 20000 RTP/AVP 8");
    const [first] = parseRecordingAnswer(answer, offer);
    expect(first?.accepted).toBe(false);
    expect(first?.refusedReason).toMatch(/c= address/);
  });

  it("throws SDP_PARSE for an answer that is not SDP", () => {
    expect(() => parseRecordingAnswer("SIP/2.0 200 OK", offer)).toThrow(SdpParseError);
    expect(() => parseRecordingAnswer("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", offer)).toThrow(
      expect.objectContaining({ code: "SDP_PARSE" }),
    );
  });
});
