import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CaptureError, maxUdpPayloadIpv4, PcapFileWriter } from "../../../src/capture/index.ts";
import { readCapture } from "./pcap-read.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pcap-writer-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytesOf = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

/** Folds a one's-complement sum over the IPv4 header: 0 when its checksum is right (RFC 1071). */
function ipv4HeaderSum(frame: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ((frame[i] ?? 0) << 8) | (frame[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

describe("PcapFileWriter", () => {
  it("starts the file with a classic libpcap global header of raw IP (LINKTYPE_RAW 101), valid with no packet", () => {
    const path = join(dir, "a.pcap");
    const writer = new PcapFileWriter(path);
    const read = readCapture(path);
    expect(read).toMatchObject({ magic: 0xa1b2c3d4, version: [2, 4], snapLen: 65_535, linkType: 101 });
    expect(read.records).toEqual([]);
    writer.close();
  });

  it("writes an IPv4/UDP record with its lengths, addresses, ports, µs time, header checksum and payload", () => {
    const path = join(dir, "v4.pcap");
    const writer = new PcapFileWriter(path);
    const payload = bytesOf(172, 0x80);
    writer.writeUdp(1_700_000_000_123_456, "192.0.2.10", 40_000, "198.51.100.7", 20_000, payload);
    writer.close();
    const [record] = readCapture(path).records;
    expect(record).toMatchObject({
      timeUs: 1_700_000_000_123_456,
      ipVersion: 4,
      src: "192.0.2.10",
      dst: "198.51.100.7",
      srcPort: 40_000,
      dstPort: 20_000,
      ipLength: 20 + 8 + 172,
      udpLength: 8 + 172,
      udpChecksum: 0,
    });
    expect(ipv4HeaderSum(record?.frame ?? new Uint8Array())).toBe(0);
    expect(Array.from(record?.payload ?? [])).toEqual(Array.from(payload));
  });

  it("writes IPv6 records with a UDP checksum tshark accepts, and unwraps IPv4-mapped addresses to IPv4", () => {
    const path = join(dir, "v6.pcap");
    const writer = new PcapFileWriter(path);
    writer.writeUdp(1_000_000, "2001:db8::1", 5060, "2001:db8::2", 5060, new TextEncoder().encode("OPTIONS"));
    writer.writeUdp(2_000_000, "::ffff:192.0.2.1", 4000, "192.0.2.2", 4002, bytesOf(13));
    writer.close();
    const records = readCapture(path).records;
    expect(records.map((r) => [r.ipVersion, r.src, r.dst, r.ipLength])).toEqual([
      [6, "2001:db8:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:2", 15],
      [4, "192.0.2.1", "192.0.2.2", 41],
    ]);
    const tshark = spawnSync(
      "tshark",
      ["-r", path, "-o", "udp.check_checksum:TRUE", "-T", "fields", "-e", "udp.checksum.status"],
      { encoding: "utf8" },
    );
    expect(tshark.stdout.trim().split("\n")[0]).toBe("1");
  });

  it("keeps packets in memory until a flush, so the file always ends on a whole record", () => {
    const path = join(dir, "grow.pcap");
    const writer = new PcapFileWriter(path);
    writer.writeUdp(1, "127.0.0.1", 1, "127.0.0.1", 2, bytesOf(100));
    expect(statSync(path).size).toBe(24);
    writer.flush();
    const once = readCapture(path);
    expect([once.records.length, once.trailing]).toEqual([1, 0]);
    writer.writeUdp(2, "127.0.0.1", 1, "127.0.0.1", 2, bytesOf(100));
    writer.writeUdp(3, "127.0.0.1", 1, "127.0.0.1", 2, bytesOf(100));
    expect(readCapture(path).records).toHaveLength(1);
    writer.close();
    expect(readCapture(path).records).toHaveLength(3);
    expect(writer.packets).toBe(3);
    expect(writer.bytes).toBe(statSync(path).size);
  });

  it("flushes on its own when the buffer would pass its maximum, without losing a record", () => {
    const path = join(dir, "full.pcap");
    const writer = new PcapFileWriter(path, { initialBufferBytes: 1024, maxBufferBytes: 4096 });
    for (let i = 0; i < 100; i++) writer.writeUdp(i, "127.0.0.1", 1, "127.0.0.1", 2, bytesOf(200, i));
    expect(statSync(path).size).toBeGreaterThan(24);
    writer.close();
    const records = readCapture(path).records;
    expect(records.map((r) => r.payload[0])).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("cuts a payload too large for one IPv4 datagram to 65,507 bytes", () => {
    const path = join(dir, "big.pcap");
    const writer = new PcapFileWriter(path);
    writer.writeUdp(1, "127.0.0.1", 1, "127.0.0.1", 2, bytesOf(70_000));
    writer.close();
    const [record] = readCapture(path).records;
    expect([record?.payload.length, record?.ipLength]).toEqual([maxUdpPayloadIpv4, 65_535]);
  });

  it("skips a datagram whose address is not an IP address and keeps writing", () => {
    const path = join(dir, "bad.pcap");
    const writer = new PcapFileWriter(path);
    writer.writeUdp(1, "not-an-ip", 1, "127.0.0.1", 2, bytesOf(4));
    writer.writeUdp(2, "127.0.0.1", 1, "127.0.0.1", 2, bytesOf(4));
    writer.close();
    expect(readCapture(path).records.map((r) => r.timeUs)).toEqual([2]);
  });

  it("reports a file it cannot create as CAPTURE_IO", () => {
    expect(() => new PcapFileWriter(join(dir, "missing", "x.pcap"))).toThrow(CaptureError);
  });

  it("writes nothing more once closed", () => {
    const path = join(dir, "closed.pcap");
    const writer = new PcapFileWriter(path);
    writer.close();
    writer.writeUdp(1, "127.0.0.1", 1, "127.0.0.1", 2, bytesOf(4));
    writer.close();
    expect(readFileSync(path).length).toBe(24);
    expect(writer.open).toBe(false);
  });
});
