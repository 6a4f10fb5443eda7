import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alaw, mulaw } from "alawmulaw";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type CallDetail,
  type CallExporter,
  type CallSummary,
  type StatusServer,
  startStatusServer,
} from "../../../src/web/index.ts";
import { deinterleave16le, readWav } from "../../helpers/wav-reader.ts";
import { sampleSnapshot } from "./sample-snapshot.ts";
import { liveCallId, recordedCallId, spooledCalls, t0Us } from "./spooled-calls.ts";

const token = "s3cret-token";
const auth = { authorization: `Bearer ${token}` };
const dir = mkdtempSync(join(tmpdir(), "call-api-"));
const servers: StatusServer[] = [];
const closers: Array<() => void> = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const close of closers.splice(0)) close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(calls?: CallExporter): Promise<StatusServer> {
  const server = await startStatusServer({
    listen: "127.0.0.1:0",
    snapshot: () => sampleSnapshot(),
    auth: { token },
    ...(calls ? { calls } : {}),
  });
  servers.push(server);
  return server;
}

async function withSpool(): Promise<{ url: string; fixture: ReturnType<typeof spooledCalls> }> {
  const fixture = spooledCalls();
  closers.push(() => fixture.spool.close());
  const server = await serve(fixture.exporter);
  return { url: server.url, fixture };
}

function saved(name: string, bytes: ArrayBuffer): string {
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(bytes));
  return path;
}

describe("calls API", () => {
  it("lists the spool's calls newest first, with sizes and each sink unit's backlog", async () => {
    const { url } = await withSpool();
    const res = await fetch(`${url}/api/calls`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const { calls } = (await res.json()) as { calls: CallSummary[] };
    expect(calls.map((c) => c.callId)).toEqual([liveCallId, recordedCallId]);
    expect(calls[1]).toMatchObject({
      state: "completed",
      reason: "bye",
      startedAt: "2025-03-04T10:00:00.000Z",
      endedAt: "2025-03-04T10:01:00.000Z",
      durationMs: 60_000,
      streamCount: 2,
      frames: 9,
      bytes: 8 * 160,
      backlogSeconds: 2.5,
      sinks: [{ sink: "ai", unit: "call", state: "backoff", ackedSeq: 12, backlogSeconds: 2.5 }],
    });
    expect(calls[0]).toMatchObject({ state: "live", endedAt: null, streamCount: 0, frames: 0, sinks: [] });
  });

  it("filters the list by state and limits its length", async () => {
    const { url } = await withSpool();
    const get = async (query: string): Promise<string[]> => {
      const res = await fetch(`${url}/api/calls?${query}`, { headers: auth });
      return ((await res.json()) as { calls: CallSummary[] }).calls.map((c) => c.callId);
    };
    expect(await get("state=completed")).toEqual([recordedCallId]);
    expect(await get("state=recovered")).toEqual([]);
    expect(await get("limit=1")).toEqual([liveCallId]);
  });

  it.each(["state=gone", "limit=0", "limit=1001", "limit=ten"])("answers 400 for ?%s", async (query) => {
    const { url } = await withSpool();
    const res = await fetch(`${url}/api/calls?${query}`, { headers: auth });
    expect(res.status).toBe(400);
  });

  it("shows one call with its participants and its streams' frames, gaps, duration and pcap port", async () => {
    const { url, fixture } = await withSpool();
    const detail = (await (
      await fetch(`${url}/api/calls/${recordedCallId}`, { headers: auth })
    ).json()) as CallDetail;
    expect(detail.participants.map((p) => p.role)).toEqual(["customer", "agent"]);
    expect(detail.correlation).toEqual({ ucid: "00001002161234567890" });
    expect(detail.streams).toHaveLength(2);
    expect(detail.streams[0]).toMatchObject({
      streamId: fixture.streams.customer,
      label: "1",
      codec: "PCMU",
      frames: 6,
      audioFrames: 5,
      gapFrames: 1,
      bytes: 800,
      durationMs: 220,
      pcapPort: 40_000,
    });
    expect(detail.streams[1]).toMatchObject({ codec: "PCMA", frames: 3, durationMs: 60, pcapPort: 40_002 });
  });

  it("exports a stream as a µ-law WAV with the recorded bytes and silence for the gap and the hole", async () => {
    const { url, fixture } = await withSpool();
    const res = await fetch(`${url}/api/calls/${recordedCallId}/streams/${fixture.streams.customer}.wav`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("audio/wav");
    expect(res.headers.get("content-disposition")).toContain(
      `${recordedCallId}-${fixture.streams.customer}.wav`,
    );
    const path = saved("customer.wav", await res.arrayBuffer());
    const wav = readWav(path);
    expect(wav).toMatchObject({ formatTag: 7, rate: 8000, channels: 1 });
    expect(wav.data).toEqual(fixture.customerAudio);
    expect(execFileSync("soxi", ["-s", path]).toString().trim()).toBe("1760");
  });

  it("exports the whole call as one L16 WAV, one channel per stream in m-line order, aligned on the call's timeline", async () => {
    const { url, fixture } = await withSpool();
    const res = await fetch(`${url}/api/calls/${recordedCallId}.wav`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain(`${recordedCallId}.wav`);
    const path = saved("call.wav", await res.arrayBuffer());
    const wav = readWav(path);
    expect(wav).toMatchObject({ formatTag: 1, rate: 8000, channels: 2 });
    const [customer, agent] = deinterleave16le(wav.data, 2);
    expect(Array.from(customer ?? [])).toEqual(Array.from(mulaw.decode(fixture.customerAudio)));
    const agentBytes = [0x50, 0x51, 0x52].flatMap((b) => new Array<number>(160).fill(b));
    const agentExpected = [
      ...new Array<number>(80).fill(0),
      ...alaw.decode(Uint8Array.from(agentBytes)),
      ...new Array<number>(1760 - 80 - 480).fill(0),
    ];
    expect(Array.from(agent ?? [])).toEqual(agentExpected);
    expect(execFileSync("soxi", ["-c", path]).toString().trim()).toBe("2");
  });

  it("answers 404 for the WAV of an unknown call", async () => {
    const { url } = await withSpool();
    const res = await fetch(`${url}/api/calls/0195a1b2-0000-7000-8000-00000000ffff.wav`, { headers: auth });
    expect(res.status).toBe(404);
  });

  it("serves the same pcap at DESIGN.md's /api/calls/:id/pcap", async () => {
    const { url } = await withSpool();
    const dotted = await (
      await fetch(`${url}/api/calls/${recordedCallId}.pcap`, { headers: auth })
    ).arrayBuffer();
    const slashed = await fetch(`${url}/api/calls/${recordedCallId}/pcap`, { headers: auth });
    expect(slashed.status).toBe(200);
    expect(Buffer.from(await slashed.arrayBuffer()).equals(Buffer.from(dotted))).toBe(true);
  });

  it("exports the call's RTP as a pcap tshark decodes: one flow per stream, original seq, pos timestamps, capture times", async () => {
    const { url } = await withSpool();
    const res = await fetch(`${url}/api/calls/${recordedCallId}.pcap`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.tcpdump.pcap");
    const path = saved("call.pcap", await res.arrayBuffer());
    const out = execFileSync(
      "tshark",
      [
        "-r",
        path,
        "-d",
        "udp.port==40000,rtp",
        "-d",
        "udp.port==40002,rtp",
        "-T",
        "fields",
        "-E",
        "separator=,",
        "-e",
        "frame.time_epoch",
        "-e",
        "ip.src",
        "-e",
        "udp.dstport",
        "-e",
        "rtp.p_type",
        "-e",
        "rtp.seq",
        "-e",
        "rtp.timestamp",
        "-e",
        "rtp.marker",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    ).toString();
    const rows = out.trim().split("\n");
    const at = (pos: number): string => {
      const us = t0Us + pos * 125;
      return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}000`;
    };
    expect(rows).toEqual([
      `${at(0)},192.0.2.10,40000,0,1000,0,1`,
      `${at(80)},192.0.2.10,40002,8,50,80,0`,
      `${at(160)},192.0.2.10,40000,0,1001,160,0`,
      `${at(240)},192.0.2.10,40002,8,51,240,0`,
      `${at(320)},192.0.2.10,40000,0,1002,320,0`,
      `${at(400)},192.0.2.10,40002,8,52,400,0`,
      `${at(800)},192.0.2.10,40000,0,1005,800,0`,
      `${at(1600)},192.0.2.10,40000,0,1006,1600,0`,
    ]);
  });

  it("answers 404 for an unknown call, an unknown stream, or a stream of another call", async () => {
    const { url, fixture } = await withSpool();
    const paths = [
      "/api/calls/0195a1b2-0000-7000-8000-00000000ffff",
      "/api/calls/0195a1b2-0000-7000-8000-00000000ffff.pcap",
      `/api/calls/${recordedCallId}/streams/999999.wav`,
      `/api/calls/${liveCallId}/streams/${fixture.streams.agent}.wav`,
      "/api/calls/not.a.call",
      `/api/calls/${recordedCallId}/streams`,
    ];
    for (const path of paths) {
      const res = await fetch(`${url}${path}`, { headers: auth });
      expect([path, res.status]).toEqual([path, 404]);
    }
  });

  it("needs the same credentials as the rest of the API", async () => {
    const { url } = await withSpool();
    expect((await fetch(`${url}/api/calls`)).status).toBe(401);
    expect((await fetch(`${url}/api/calls/${recordedCallId}.pcap`)).status).toBe(401);
  });

  it("answers 404 when the app gives the server no exporter, and 405 for other methods", async () => {
    const bare = await serve();
    expect((await fetch(`${bare.url}/api/calls`, { headers: auth })).status).toBe(404);
    const { url } = await withSpool();
    const res = await fetch(`${url}/api/calls`, { method: "DELETE", headers: auth });
    expect(res.status).toBe(405);
  });

  it("answers 500 when the spool fails, without taking the server down", async () => {
    const failing: CallExporter = {
      list: () => {
        throw new Error("database disk image is malformed");
      },
      get: () => undefined,
      wav: () => undefined,
      callWav: () => undefined,
      pcap: () => undefined,
    };
    const server = await serve(failing);
    expect((await fetch(`${server.url}/api/calls`, { headers: auth })).status).toBe(500);
    expect((await fetch(`${server.url}/api/status`, { headers: auth })).status).toBe(200);
  });

  it("links each call's pcap and each stream's WAV on the status page when the API is served", async () => {
    const { url } = await withSpool();
    const page = await (await fetch(`${url}/`, { headers: auth })).text();
    const call = sampleSnapshot().calls.live[0];
    expect(page).toContain(`href="/api/calls/${call?.callId}.pcap"`);
    expect(page).toContain(`href="/api/calls/${call?.callId}/streams/${call?.streams[0]?.streamId}.wav"`);
    const bare = await serve();
    expect(await (await fetch(`${bare.url}/`, { headers: auth })).text()).not.toContain(".pcap");
  });
});
