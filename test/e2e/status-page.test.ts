import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  repoRoot,
  type SpawnedProcess,
  spawnSiprecEdge,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { runSippCall } from "../helpers/sipp.ts";

/** The web token of the appliance; the browser sends it as the Basic password. */
const token = "status-page-e2e-token";
/** Where the screenshot is kept for a human (git-ignored). */
const screenshotPath = join(repoRoot, "test-results/status-page.png");

/** RTP packets tshark decodes in a pcap (it follows the SDP of the captured SIP to find the RTP flows). */
async function rtpPackets(file: string): Promise<number> {
  const proc = Bun.spawn(["tshark", "-r", file, "-Y", "rtp"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  if (code !== 0) throw new Error(`tshark exited ${code}: ${await new Response(proc.stderr).text()}`);
  return out.split("\n").filter((line) => line.trim() !== "").length;
}

/** The values of the live calls' level meters, by stream id. */
function meterValues(page: Page): Promise<Record<string, number>> {
  return page.$$eval("#live meter[data-stream]", (meters) =>
    Object.fromEntries(
      meters.map((m) => [m.getAttribute("data-stream") ?? "", (m as unknown as { value: number }).value]),
    ),
  );
}

/**
 * Issue #6's acceptance for the status page, in real Chromium (`playwright-core` driving Debian's
 * `/usr/bin/chromium`) against the compiled appliance behind web auth: during a SIPp call the call
 * appears without a reload, its level meters move, its pcap downloads from the page and tshark
 * decodes its RTP; after the BYE it moves to recent calls; the test-call button places a call that
 * appears; the drain button (confirmed) turns the banner to refusing; a screenshot is kept.
 */
describe("the status page in Chromium", () => {
  let dir: string;
  let receiver: SpawnedProcess;
  let appliance: RunningAppliance;
  let sipPort: number;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-page-"));
    const receiverPort = await freePort();
    const deadPort = await freePort();
    receiver = spawnSiprecEdge([
      "receive",
      "--listen",
      `127.0.0.1:${receiverPort}`,
      "--out",
      join(dir, "received"),
    ]);
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: rack-07-edge
sip: { listen: ["udp:127.0.0.1:${sipPort}", "tcp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db, max_bytes: 2GB, min_free_disk: 1MB }
sinks:
  - { name: analytics, type: websocket, url: "ws://127.0.0.1:${receiverPort}/stream", protocol: easp, mode: per-participant, format: PCMU/8000 }
  - { name: archive, type: websocket, url: "ws://127.0.0.1:${deadPort}/stream", protocol: easp, mode: interleaved, format: L16/8000 }
web: { listen: "127.0.0.1:${webPort}", auth: { token: "${token}" } }
`,
      webPort,
    );
    context = await chromium.launchPersistentContext(await mkdtemp(join(dir, "chromium-")), {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      httpCredentials: { username: "technician", password: token },
      acceptDownloads: true,
      viewport: { width: 1440, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await appliance?.stop();
    await receiver?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses requests without credentials with 401", async () => {
    for (const path of ["/", "/api/status", "/api/events", "/api/calls", "/api/commands/drain"]) {
      const res = await fetch(`${appliance.webUrl}${path}`, {
        method: path.includes("commands") ? "POST" : "GET",
      });
      expect([path, res.status]).toEqual([path, 401]);
      await res.body?.cancel();
    }
  });

  it("shows a SIPp call live without a reload, moves its meters, downloads its pcap, then lists it as recent", async () => {
    await page.goto(appliance.webUrl);
    await expect(page.locator("[data-tile=sip] .tile-value").textContent()).resolves.toBe("listening");
    await page.evaluate(() => {
      (globalThis as unknown as { statusPageMarker: number }).statusPageMarker = 42;
    });

    const call = runSippCall({
      scenario: "siprec-uac-pcmu.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 40_000,
    });
    const row = page.locator("#live tr[data-call]").first();
    await row.waitFor({ timeout: 10_000 });
    const callId = (await row.getAttribute("data-call")) ?? "";
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(row.locator("td").nth(3).textContent()).resolves.toMatch(/agent|customer/);

    const samples: Record<string, number>[] = [];
    for (let i = 0; i < 12; i++) {
      samples.push(await meterValues(page));
      await page.waitForTimeout(250);
    }
    const streams = Object.keys(samples.at(-1) ?? {});
    expect(streams.length).toBe(2);
    for (const stream of streams) {
      const values = samples.map((s) => s[stream]).filter((v): v is number => v !== undefined);
      expect(Math.max(...values), `meter of stream ${stream}`).toBeGreaterThan(0);
      expect(new Set(values).size, `meter of stream ${stream} moves`).toBeGreaterThan(2);
    }

    // The call's capture (SIP and RTP as received), downloaded through the page's link.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      row.locator("a[data-download=capture]").click(),
    ]);
    const pcapFile = join(dir, "call.pcap");
    await download.saveAs(pcapFile);
    expect(await rtpPackets(pcapFile)).toBeGreaterThan(0);

    const result = await call;
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    await page.locator(`#recent tr[data-call="${callId}"]`).waitFor({ timeout: 10_000 });
    await expect(page.locator(`#live tr[data-call="${callId}"]`).count()).resolves.toBe(0);
    await expect(page.locator("#events").textContent()).resolves.toContain("SESSIONCOMPLETED");
    expect(
      await page.evaluate(() => (globalThis as unknown as { statusPageMarker?: number }).statusPageMarker),
    ).toBe(42);
  }, 90_000);

  it("places a test call from its button, then drains from its button after the confirmation", async () => {
    await page.locator("button[data-command=testCall]").click();
    const reply = page.locator("#reply");
    await waitFor("the test call's reply", async () =>
      /Test call placed/.test((await reply.textContent()) ?? "") ? true : undefined,
    );
    const sessionId = /call ([0-9a-f-]{36})/.exec((await reply.textContent()) ?? "")?.[1] ?? "";
    expect(sessionId).not.toBe("");
    await page.locator(`#live tr[data-call="${sessionId}"]`).waitFor({ timeout: 10_000 });
    await waitFor("the test call's meters to show audio", async () =>
      Object.values(await meterValues(page)).some((v) => v > 0) ? true : undefined,
    );

    page.once("dialog", (dialog) => void dialog.accept());
    await page.locator("button[data-command=drain]").click();
    await waitFor("the banner to show the drain", async () =>
      /DRAINING/.test((await page.locator("[data-tile=calls]").textContent()) ?? "") ? true : undefined,
    );
    await expect(page.locator("#reply").textContent()).resolves.toContain("Drain: draining");
    const status = (await (
      await fetch(`${appliance.webUrl}/api/status`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { health: { accepting: boolean; drain: string } };
    expect(status.health).toMatchObject({ accepting: false, drain: "draining" });

    await mkdir(join(repoRoot, "test-results"), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  }, 60_000);
});
