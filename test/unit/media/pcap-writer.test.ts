import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RtpPacket } from "rtp.js/packets";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildPcap,
  buildRtpPacket,
  type PcapLinkType,
  type PcapPacket,
  PcapWriter,
} from "../../../src/media/index.ts";

const dir = mkdtempSync(join(tmpdir(), "pcap-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t0Us = 1_741_082_400_000_000;

/** Runs tshark over a capture, decoding UDP port 40000 and 40002 as RTP, with checksum checks on. */
function tshark(bytes: Uint8Array, fields: string[]): string[][] {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(path, bytes);
  const args = ["-r", path, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"];
  args.push("-d", "udp.port==40000,rtp", "-d", "udp.port==40002,rtp", "-T", "fields", "-E", "separator=,");
  for (const field of fields) args.push("-e", field);
  const out = execFileSync("tshark", args, { stdio: ["ignore", "pipe", "ignore"] }).toString();
  return out
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split(","));
}

/** 20 ms PCMU packets of one stream, starting at `seq`, on UDP port `port`. */
function rtpFlow(count: number, seq: number, port: number, ssrc: number): PcapPacket[] {
  return Array.from({ length: count }, (_, i) => ({
    timeUs: t0Us + i * 20_000 + (port - 40_000) * 1000,
    src: { ip: "192.0.2.10", port },
    dst: { ip: "198.51.100.7", port },
    payload: buildRtpPacket({
      payloadType: 0,
      seq: seq + i,
      timestamp: 160 * i,
      ssrc,
      marker: i === 0,
      payload: new Uint8Array(160).fill(i & 0xff),
    }),
  }));
}

describe("buildRtpPacket", () => {
  it("writes the RFC 3550 fixed header that rtp.js parses back field by field", () => {
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    const bytes = buildRtpPacket({
      payloadType: 8,
      seq: 0x1_0005,
      timestamp: 2 ** 32 + 160,
      ssrc: 0xdeadbeef,
      marker: true,
      payload,
    });
    const packet = new RtpPacket(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    expect(packet.getPayloadType()).toBe(8);
    expect(packet.getSequenceNumber()).toBe(5);
    expect(packet.getTimestamp()).toBe(160);
    expect(packet.getSsrc()).toBe(0xdeadbeef);
    expect(packet.getMarker()).toBe(true);
    expect(new Uint8Array(packet.getPayload().buffer, packet.getPayload().byteOffset, 5)).toEqual(payload);
  });

  it("refuses a payload type above 127", () => {
    expect(() =>
      buildRtpPacket({
        payloadType: 128,
        seq: 0,
        timestamp: 0,
        ssrc: 0,
        marker: false,
        payload: new Uint8Array(),
      }),
    ).toThrow(RangeError);
  });
});

describe("PcapWriter", () => {
  it.each(["ethernet", "raw"] as PcapLinkType[])(
    "writes a %s capture whose RTP tshark decodes, with good IPv4 and UDP checksums",
    (linkType) => {
      const rows = tshark(buildPcap(rtpFlow(5, 65_533, 40_000, 0x5eed), { linkType }), [
        "frame.time_epoch",
        "ip.src",
        "udp.dstport",
        "udp.length",
        "ip.checksum.status",
        "udp.checksum.status",
        "rtp.seq",
        "rtp.p_type",
        "rtp.timestamp",
        "rtp.ssrc",
        "rtp.marker",
      ]);
      expect(rows).toHaveLength(5);
      expect(rows.map((r) => r[6])).toEqual(["65533", "65534", "65535", "0", "1"]);
      expect(rows[0]).toEqual([
        "1741082400.000000000",
        "192.0.2.10",
        "40000",
        "180",
        "1",
        "1",
        "65533",
        "0",
        "0",
        "0x00005eed",
        "1",
      ]);
      expect(rows[4]?.slice(0, 1)).toEqual(["1741082400.080000000"]);
      expect(rows[4]?.slice(8)).toEqual(["640", "0x00005eed", "0"]);
    },
  );

  it("keeps two interleaved flows apart, in the order the packets were added", () => {
    const a = rtpFlow(3, 100, 40_000, 1);
    const b = rtpFlow(3, 900, 40_002, 2);
    const writer = new PcapWriter();
    for (let i = 0; i < 3; i++) {
      writer.add(a[i] as PcapPacket);
      writer.add(b[i] as PcapPacket);
    }
    expect(writer.packetCount).toBe(6);
    const rows = tshark(writer.toBytes(), ["udp.srcport", "rtp.ssrc", "rtp.seq"]);
    expect(rows.map((r) => r.join(" "))).toEqual([
      "40000 0x00000001 100",
      "40002 0x00000002 900",
      "40000 0x00000001 101",
      "40002 0x00000002 901",
      "40000 0x00000001 102",
      "40002 0x00000002 902",
    ]);
  });

  it("computes a correct UDP checksum over an odd-length payload", () => {
    const packet: PcapPacket = {
      timeUs: t0Us,
      src: { ip: "10.1.2.3", port: 40_000 },
      dst: { ip: "10.3.2.1", port: 5004 },
      payload: Uint8Array.from({ length: 171 }, (_, i) => (i * 91) & 0xff),
    };
    expect(tshark(buildPcap([packet]), ["udp.length", "udp.checksum.status"])).toEqual([["179", "1"]]);
  });

  it("writes a capture with no packets that tshark opens", () => {
    expect(tshark(buildPcap([]), ["frame.number"])).toEqual([]);
  });

  it.each([
    ["an IPv6 address", { src: { ip: "::1", port: 1 } }],
    ["an address with a byte over 255", { dst: { ip: "10.0.0.256", port: 1 } }],
    ["a port over 65535", { dst: { ip: "10.0.0.1", port: 70_000 } }],
    ["a negative time", { timeUs: -1 }],
    ["a payload larger than one datagram", { payload: new Uint8Array(65_508) }],
  ])("refuses %s with a RangeError", (_name, override) => {
    const packet: PcapPacket = {
      timeUs: t0Us,
      src: { ip: "10.0.0.1", port: 40_000 },
      dst: { ip: "10.0.0.2", port: 40_000 },
      payload: new Uint8Array(4),
      ...override,
    };
    expect(() => new PcapWriter().add(packet)).toThrow(RangeError);
  });
});
