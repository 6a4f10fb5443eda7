import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CaptureStore,
  pcapGlobalHeader,
  SipMessageRing,
  type SipWireMessage,
  SipWireRecorder,
} from "../../../src/capture/index.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { payloadText, readCapture } from "./pcap-read.ts";

let dir: string;
let store: CaptureStore | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "capture-store-"));
});
afterEach(() => {
  store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function sipMessage(direction: "in" | "out", firstLine: string, callId: string): SipWireMessage {
  return {
    direction,
    transport: "udp",
    local: { address: "0.0.0.0", port: 5060 },
    remote: { address: "192.0.2.9", port: 5070 },
    bytes: new TextEncoder().encode(`${firstLine}\r\nCall-ID: ${callId}\r\nContent-Length: 0\r\n\r\n`),
  };
}

function rtp(seq: number): ArrayBuffer {
  const b = new Uint8Array(172);
  b[0] = 0x80;
  b[3] = seq;
  return b.buffer;
}

describe("CaptureStore", () => {
  it("starts a call's capture with the ring's earlier messages of its Call-ID, then takes SIP and RTP by Call-ID", () => {
    const clock = new ManualClock();
    const ring = new SipMessageRing(10);
    store = new CaptureStore({ dir, maxBytes: 1e9, ring, clock });
    const recorder = new SipWireRecorder({ ring, store, clock });
    recorder.record(sipMessage("in", "INVITE sip:srs@192.0.2.1 SIP/2.0", "call-a"));
    recorder.record(sipMessage("in", "OPTIONS sip:srs@192.0.2.1 SIP/2.0", "other"));
    recorder.record(sipMessage("out", "SIP/2.0 100 Trying", "call-a"));
    const capture = store.open("c1", "call-a", { localAddress: "192.0.2.1" });
    expect(store.find("call-a")).toBe(capture);
    recorder.record(sipMessage("out", "SIP/2.0 200 OK", "call-a"));
    capture?.datagram(rtp(7), "192.0.2.9", 40_000, "0.0.0.0", 20_000);
    capture?.close();
    expect(store.find("call-a")).toBeUndefined();
    recorder.record(sipMessage("in", "ACK sip:srs@192.0.2.1 SIP/2.0", "call-a"));

    const records = readCapture(join(dir, "c1.pcap")).records;
    expect(
      records.map((r) => (r.payload[0] === 0x80 ? `RTP ${r.payload[3]}` : payloadText(r).split("\r\n")[0])),
    ).toEqual(["INVITE sip:srs@192.0.2.1 SIP/2.0", "SIP/2.0 100 Trying", "SIP/2.0 200 OK", "RTP 7"]);
    expect(records.map((r) => `${r.src}:${r.srcPort} > ${r.dst}:${r.dstPort}`)).toEqual([
      "192.0.2.9:5070 > 192.0.2.1:5060",
      "192.0.2.1:5060 > 192.0.2.9:5070",
      "192.0.2.1:5060 > 192.0.2.9:5070",
      "192.0.2.9:40000 > 192.0.2.1:20000",
    ]);
  });

  it("writes open captures to disk on its flush timer, so a live capture can be read while it grows", () => {
    const clock = new ManualClock();
    store = new CaptureStore({ dir, maxBytes: 1e9, clock, flushIntervalMs: 500 });
    const capture = store.open("live", "x");
    capture?.datagram(rtp(1), "127.0.0.1", 4000, "127.0.0.1", 20_000);
    expect(readCapture(join(dir, "live.pcap")).records).toHaveLength(0);
    clock.advance(500);
    expect(readCapture(join(dir, "live.pcap")).records).toHaveLength(1);
    expect(store.path("live")).toBe(join(dir, "live.pcap"));
  });

  it("finds finished captures, also those a previous run left, and nothing for unknown or unsafe ids", () => {
    writeFileSync(join(dir, "left-by-crash.pcap"), pcapGlobalHeader());
    store = new CaptureStore({ dir, maxBytes: 1e9 });
    store.open("done", "d")?.close();
    expect(store.path("done")).toBe(join(dir, "done.pcap"));
    expect(store.path("left-by-crash")).toBe(join(dir, "left-by-crash.pcap"));
    expect(store.path("nope")).toBeUndefined();
    expect(store.path("../etc/passwd")).toBeUndefined();
    expect(store.open("../x", "y")).toBeUndefined();
  });

  it("at start deletes the captures of calls the spool no longer keeps, never an open one", () => {
    const before = new CaptureStore({ dir, maxBytes: 1e9 });
    before.open("kept", "k")?.close();
    before.open("purged", "p")?.close();
    before.close();
    store = new CaptureStore({ dir, maxBytes: 1e9 });
    store.open("live", "l");
    const result = store.reconcile((callId) => callId === "kept");
    expect(result.deleted).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(["kept.pcap", "live.pcap"]);
  });

  it("deletes the finished captures of the calls a spool purge removed, and leaves open ones", () => {
    store = new CaptureStore({ dir, maxBytes: 1e9 });
    store.open("a", "a")?.close();
    store.open("b", "b")?.close();
    const live = store.open("c", "c");
    const result = store.remove(["a", "c", "unknown"]);
    expect(result.deleted).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(["b.pcap", "c.pcap"]);
    expect(store.path("a")).toBeUndefined();
    expect(live?.open).toBe(true);
  });

  it("deletes the oldest finished captures first once all of them exceed the byte cap, never an open one", () => {
    store = new CaptureStore({ dir, maxBytes: 4 * 1024 });
    const live = store.open("live", "live");
    for (let n = 0; n < 6; n++) live?.datagram(rtp(n), "127.0.0.1", 4000, "127.0.0.1", 20_000);
    for (const id of ["old", "mid", "new"]) {
      const capture = store.open(id, id);
      for (let n = 0; n < 6; n++) capture?.datagram(rtp(n), "127.0.0.1", 4000, "127.0.0.1", 20_000);
      capture?.close();
    }
    expect(readdirSync(dir).sort()).toEqual(["live.pcap", "mid.pcap", "new.pcap"]);
    expect(live?.open).toBe(true);
  });

  it("at start indexes the captures a previous run left oldest first, so the cap deletes those first", () => {
    const before = new CaptureStore({ dir, maxBytes: 1e9 });
    ["new", "old"].forEach((id, i) => {
      const capture = before.open(id, id);
      for (let n = 0; n < 6; n++) capture?.datagram(rtp(n), "127.0.0.1", 4000, "127.0.0.1", 20_000);
      capture?.close();
      utimesSync(join(dir, `${id}.pcap`), 2_000 - i, 2_000 - i);
    });
    before.close();
    store = new CaptureStore({ dir, maxBytes: 2 * 1024 });
    const result = store.reconcile(() => true);
    expect(result.deleted).toBe(1);
    expect(readdirSync(dir)).toEqual(["new.pcap"]);
  });

  it("closes every open capture when it closes", () => {
    store = new CaptureStore({ dir, maxBytes: 1e9 });
    const capture = store.open("a", "a");
    store.close();
    expect(capture?.open).toBe(false);
    expect(store.open("b", "b")).toBeUndefined();
  });
});
