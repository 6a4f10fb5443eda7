import { describe, expect, it } from "vitest";
import { parseSdp, SdpParseError } from "../../../src/sdp/index.ts";

const OFFER = [
  "v=0",
  "o=CiscoSystemsSIP-GW-UserAgent 18446744073709551615 7 IN IP4 198.51.100.10",
  "s=SIP Call",
  "c=IN IP4 198.51.100.10",
  "t=0 0",
  "a=sendonly",
  "m=audio 17408 RTP/AVP 18 0 8 101",
  "a=label:16777231",
  "a=fmtp:18 annexb=no",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-16",
  "a=ptime:20",
  "a=rtcp:17409",
  "m=audio 17410 RTP/SAVP 111 0",
  "c=IN IP4 203.0.113.7",
  "a=rtpmap:111 opus/48000/2",
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32 KDR=1 UNENCRYPTED_SRTCP",
  "a=rtcp-mux",
  "a=inactive",
  "a=label:b_leg",
  "m=video 0 RTP/AVP 34",
  "m=image 0 udptl t38",
  "",
].join("\n");

describe("parseSdp", () => {
  const info = parseSdp(OFFER);

  it("keeps the origin exactly, even a session id beyond 2^53", () => {
    expect(info.origin).toEqual({
      username: "CiscoSystemsSIP-GW-UserAgent",
      sessionId: "18446744073709551615",
      sessionVersion: 7,
      address: "198.51.100.10",
    });
    expect(info.address).toBe("198.51.100.10");
  });

  it("reads every m-line in order with its index, type, port and protocol", () => {
    expect(info.media.map((m) => [m.index, m.type, m.port, m.proto])).toEqual([
      [0, "audio", 17408, "RTP/AVP"],
      [1, "audio", 17410, "RTP/SAVP"],
      [2, "video", 0, "RTP/AVP"],
      [3, "image", 0, "udptl"],
    ]);
  });

  it("lists formats in offer order, with static payload types known without rtpmap", () => {
    expect(info.media[0]?.formats).toEqual([
      { payloadType: 18, encoding: "G729", rate: 8000, channels: 1, fmtp: "annexb=no" },
      { payloadType: 0, encoding: "PCMU", rate: 8000, channels: 1 },
      { payloadType: 8, encoding: "PCMA", rate: 8000, channels: 1 },
      { payloadType: 101, encoding: "telephone-event", rate: 8000, channels: 1, fmtp: "0-16" },
    ]);
    expect(info.media[1]?.formats[0]).toEqual({
      payloadType: 111,
      encoding: "opus",
      rate: 48000,
      channels: 2,
    });
    expect(info.media[3]?.formats).toEqual([]);
  });

  it("inherits the session direction and address unless the m-line has its own", () => {
    expect(info.media.map((m) => [m.direction, m.address])).toEqual([
      ["sendonly", "198.51.100.10"],
      ["inactive", "203.0.113.7"],
      ["sendonly", "198.51.100.10"],
      ["sendonly", "198.51.100.10"],
    ]);
  });

  it("reads labels as written, numeric or token", () => {
    expect(info.media.map((m) => m.label)).toEqual(["16777231", "b_leg", undefined, undefined]);
  });

  it("reads ptime, rtcp port, rtcp-mux and whole crypto lines", () => {
    const [first, second] = info.media;
    expect([first?.ptime, first?.rtcpPort, first?.rtcpMux, first?.crypto]).toEqual([20, 17409, false, []]);
    expect(second?.rtcpMux).toBe(true);
    expect(second?.crypto).toEqual([
      "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32 KDR=1 UNENCRYPTED_SRTCP",
    ]);
  });

  it("defaults to sendrecv when no direction is given (BroadWorks, Metaswitch)", () => {
    const sdp =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 9 0\r\na=label:1\r\n";
    const media = parseSdp(sdp).media[0];
    expect(media?.direction).toBe("sendrecv");
    expect(media?.formats.map((f) => `${f.encoding}/${f.rate}`)).toEqual(["G722/8000", "PCMU/8000"]);
  });

  it("gives the same result for CRLF and bare-LF text", () => {
    expect(parseSdp(OFFER.replace(/\n/g, "\r\n"))).toEqual(info);
  });

  it("ignores an unknown direction-like attribute such as a=direction:both", () => {
    const sdp =
      "v=0\no=sems 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 5000 RTP/AVP 8\na=direction:both\n";
    expect(parseSdp(sdp).media[0]?.direction).toBe("sendrecv");
  });

  it.each([
    ["an empty string", ""],
    ["plain text", "hello recorder"],
    ["XML", '<?xml version="1.0"?><recording/>'],
    ["SDP without any m= line", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"],
    ["text whose first line is not v=", "o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\nm=audio 1 RTP/AVP 0\r\n"],
  ])("rejects %s with SDP_PARSE", (_, text) => {
    let caught: unknown;
    try {
      parseSdp(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SdpParseError);
    expect(caught).toMatchObject({ code: "SDP_PARSE" });
  });
});
