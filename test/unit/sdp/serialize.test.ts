import { describe, expect, it } from "vitest";
import { type BuildSdpOptions, buildSdp, parseSdp } from "../../../src/sdp/index.ts";

const PCMU = { payloadType: 0, encoding: "PCMU", rate: 8000, channels: 1 };
const DTMF = { payloadType: 101, encoding: "telephone-event", rate: 8000, channels: 1, fmtp: "0-16" };

const answer: BuildSdpOptions = {
  origin: {
    username: "siprec-edge",
    sessionId: "9007199254740993",
    sessionVersion: 2,
    address: "192.0.2.50",
  },
  sessionName: "siprec-edge",
  address: "192.0.2.50",
  media: [
    {
      type: "audio",
      port: 20000,
      proto: "RTP/AVP",
      formats: [PCMU, DTMF],
      direction: "recvonly",
      label: "1",
      ptime: 20,
    },
    { type: "audio", port: 20002, proto: "RTP/AVP", formats: [PCMU], direction: "sendrecv", rtcpMux: true },
    { type: "video", port: 0, proto: "RTP/AVP", formats: [], direction: "inactive", label: "3" },
  ],
};

describe("buildSdp", () => {
  const text = buildSdp(answer);

  it("ends every line with CRLF", () => {
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.split("\r\n").every((line) => !line.includes("\n"))).toBe(true);
  });

  it("writes c= once, at session level", () => {
    expect(text.match(/^c=/gm)).toEqual(["c="]);
    expect(text.indexOf("c=IN IP4 192.0.2.50")).toBeLessThan(text.indexOf("m="));
  });

  it("writes an rtpmap for every format, static ones included, and fmtp when given", () => {
    expect(text).toContain("a=rtpmap:0 PCMU/8000\r\n");
    expect(text).toContain("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
  });

  it("always writes the direction, even sendrecv (RFC 3264 §6)", () => {
    expect(text.match(/^a=(sendrecv|sendonly|recvonly|inactive)$/gm)).toEqual([
      "a=recvonly",
      "a=sendrecv",
      "a=inactive",
    ]);
  });

  it("writes a rejected m-line with port 0 and a placeholder format", () => {
    expect(text).toContain("m=video 0 RTP/AVP 0\r\n");
  });

  it("round-trips through parseSdp", () => {
    const info = parseSdp(text);
    expect(info.origin).toEqual(answer.origin);
    expect(info.address).toBe("192.0.2.50");
    expect(
      info.media.map((m) => ({
        port: m.port,
        direction: m.direction,
        label: m.label,
        ptime: m.ptime,
        rtcpMux: m.rtcpMux,
      })),
    ).toEqual([
      { port: 20000, direction: "recvonly", label: "1", ptime: 20, rtcpMux: false },
      { port: 20002, direction: "sendrecv", label: undefined, ptime: undefined, rtcpMux: true },
      { port: 0, direction: "inactive", label: "3", ptime: undefined, rtcpMux: false },
    ]);
    expect(info.media[0]?.formats).toEqual([PCMU, DTMF]);
    expect(info.media[1]?.formats).toEqual([PCMU]);
  });

  it("writes IN IP6 for an IPv6 address and the channel count of a stereo format", () => {
    const sdp = buildSdp({
      origin: { ...answer.origin, address: "2001:db8::5" },
      address: "2001:db8::5",
      media: [
        {
          type: "audio",
          port: 20004,
          proto: "RTP/AVP",
          formats: [{ payloadType: 111, encoding: "opus", rate: 48000, channels: 2 }],
          direction: "recvonly",
        },
      ],
    });
    expect(sdp).toContain("c=IN IP6 2001:db8::5\r\n");
    expect(sdp).toContain("a=rtpmap:111 opus/48000/2\r\n");
    expect(sdp).toContain("s=-\r\n");
  });
});
