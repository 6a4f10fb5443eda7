import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApplianceStatus,
  freePort,
  mediaPortRange,
  type RunningAppliance,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { runSippCall } from "../helpers/sipp.ts";

const token = "capture-test-token-0123456789";
const auth = { authorization: `Bearer ${token}` };

/** Runs tshark on a file; `-Y filter` and `-T fields -e …` as given. */
function tshark(file: string, args: string[]): { code: number; lines: string[]; stderr: string } {
  const out = spawnSync("tshark", ["-r", file, ...args], { encoding: "utf8" });
  const lines = out.stdout.split("\n").filter((l) => l.trim() !== "");
  return { code: out.status ?? -1, lines, stderr: out.stderr };
}

/** `/api/status` with the token (the helper's `status()` sends no credentials). */
async function status(appliance: RunningAppliance): Promise<ApplianceStatus> {
  return (await (await fetch(`${appliance.webUrl}/api/status`, { headers: auth })).json()) as ApplianceStatus;
}

async function download(url: string, file: string): Promise<Response> {
  const response = await fetch(url, { headers: auth });
  if (response.ok) await writeFile(file, new Uint8Array(await response.arrayBuffer()));
  return response;
}

async function startWith(
  dir: string,
  capture: string,
  retain = "24h",
): Promise<{ appliance: RunningAppliance; sipPort: number }> {
  const sipPort = await freePort();
  const webPort = await freePort();
  const [lo, hi] = mediaPortRange();
  const appliance = await startAppliance(
    dir,
    `sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db, retain: ${retain} }
capture: ${capture}
web: { listen: "127.0.0.1:${webPort}", auth: { token: ${token} } }
`,
    webPort,
  );
  return { appliance, sipPort };
}

/**
 * Issue 6 part 4: the compiled appliance writes a pcap per call (SIP + the RTP it received) that
 * tshark opens with the RTP decoded from the SDP in the same file, no "decode as" needed.
 */
describe("per-call pcap capture", () => {
  let dir: string;
  let appliance: RunningAppliance;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-capture-"));
    ({ appliance, sipPort } = await startWith(dir, "{ enabled: true, sip_messages: 100 }"));
  });

  afterAll(async () => {
    await appliance?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves a valid growing capture during the call and the whole call after BYE, RTP decoded by tshark", async () => {
    const call = runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 40_000,
    });
    const live = await waitFor("a live call with RTP", async () => {
      const first = (await status(appliance)).calls.live[0];
      return first?.streams.every((s) => s.packetsReceived > 100) ? first : undefined;
    });
    const url = `${appliance.webUrl}/api/calls/${live.callId}/capture.pcap`;
    expect((await fetch(url)).status).toBe(401);

    await waitFor("a flush of the live capture", async () => {
      const partial = join(dir, "partial.pcap");
      const response = await download(url, partial);
      expect(response.status).toBe(200);
      const rtp = tshark(partial, ["-Y", "rtp"]);
      expect(rtp.code, rtp.stderr).toBe(0);
      return rtp.lines.length > 0 ? true : undefined;
    });
    const partialSip = tshark(join(dir, "partial.pcap"), [
      "-Y",
      "sip",
      "-T",
      "fields",
      "-e",
      "sip.CSeq.method",
    ]);
    expect(partialSip.lines.slice(0, 1)).toEqual(["INVITE"]);

    const result = await call;
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    await waitFor("the call to end", async () => {
      const s = await status(appliance);
      return s.calls.recent.some((c) => c.callId === live.callId) ? true : undefined;
    });
    const full = join(dir, "full.pcap");
    const response = await download(url, full);
    expect(response.headers.get("content-type")).toBe("application/vnd.tcpdump.pcap");
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="siprec-edge-${live.callId}.pcap"`,
    );

    const sip = tshark(full, ["-Y", "sip", "-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code"]);
    expect(sip.code, sip.stderr).toBe(0);
    expect(sip.lines.map((l) => l.trim())).toEqual(["INVITE", "100", "200", "ACK", "BYE", "200"]);
    const multipart = tshark(full, [
      "-Y",
      'sip.Method == "INVITE"',
      "-T",
      "fields",
      "-e",
      "sip.Content-Type",
    ]);
    expect(multipart.lines[0]).toMatch(/^multipart\/mixed/);

    const rtp = tshark(full, ["-Y", "rtp", "-T", "fields", "-e", "udp.dstport", "-e", "rtp.p_type"]);
    expect(rtp.code, rtp.stderr).toBe(0);
    const perPort = new Map<string, number>();
    for (const line of rtp.lines) {
      const [port = "", pt = ""] = line.split("\t");
      expect(pt).toBe("0");
      perPort.set(port, (perPort.get(port) ?? 0) + 1);
    }
    expect([...perPort.values()]).toEqual([600, 600]);
  }, 90_000);

  it("shows recent SIP messages, the INVITE among them, behind the same authentication", async () => {
    expect((await fetch(`${appliance.webUrl}/api/sip/messages`)).status).toBe(401);
    const response = await fetch(`${appliance.webUrl}/api/sip/messages`, { headers: auth });
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^=== \S+Z IN UDP 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \(\d+ bytes\)\nINVITE sip:/m);
    expect(text).toMatch(/^=== \S+Z OUT UDP .*\nSIP\/2\.0 200 OK/m);
  });

  it("answers 404 for a call it has no capture of", async () => {
    const response = await fetch(
      `${appliance.webUrl}/api/calls/0190abcd-0000-7000-8000-000000000000/capture.pcap`,
      {
        headers: auth,
      },
    );
    expect(response.status).toBe(404);
  });
});

describe("per-call pcap capture turned off", () => {
  let dir: string;
  let appliance: RunningAppliance;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-nocapture-"));
    ({ appliance, sipPort } = await startWith(dir, "{ enabled: false }"));
  });

  afterAll(async () => {
    await appliance?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes no capture and answers 404 for the call's pcap", async () => {
    const call = await runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 40_000,
    });
    expect(call.exitCode, call.stdout + call.stderr).toBe(0);
    const done = await waitFor("the call to end", async () => (await status(appliance)).calls.recent[0]);
    const response = await fetch(`${appliance.webUrl}/api/calls/${done.callId}/capture.pcap`, {
      headers: auth,
    });
    expect(response.status).toBe(404);
    const captures = join(dir, "var", "captures");
    expect(existsSync(captures) ? readdirSync(captures) : []).toEqual([]);
  }, 90_000);
});

describe("per-call pcap capture under the spool's retention", () => {
  let dir: string;
  let appliance: RunningAppliance;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-capture-retain-"));
    ({ appliance, sipPort } = await startWith(dir, "{ enabled: true }", "1s"));
  });

  afterAll(async () => {
    await appliance?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("deletes a call's capture when the spool purges the call's audio", async () => {
    const call = await runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 40_000,
    });
    expect(call.exitCode, call.stdout + call.stderr).toBe(0);
    const done = await waitFor("the call to end", async () => (await status(appliance)).calls.recent[0]);
    const file = join(dir, "var", "captures", `${done.callId}.pcap`);
    expect(existsSync(file)).toBe(true);
    await waitFor(
      "the spool to purge the call",
      async () => (await status(appliance)).calls.recent.length === 0 || undefined,
      30_000,
    );
    expect(existsSync(file)).toBe(false);
    const response = await fetch(`${appliance.webUrl}/api/calls/${done.callId}/capture.pcap`, {
      headers: auth,
    });
    expect(response.status).toBe(404);
  }, 90_000);
});
