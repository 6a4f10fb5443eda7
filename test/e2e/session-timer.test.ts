import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { runSippCall } from "../helpers/sipp.ts";

/**
 * RFC 4028 on the SRS side, against the appliance: a SIPp SRC asks for `Session-Expires: 90;refresher=uac`
 * and then vanishes (never refreshes). The SRS must send BYE at 90 − min(32, 90/3) = 60 s and end the
 * recording with reason `session-expired`, so no zombie recording outlives its SBC. 90 s is the smallest
 * interval RFC 4028 §5 allows, so this test takes about a minute.
 */
describe("session timers of a recording session (RFC 4028 §9, §10)", () => {
  let dir: string;
  let appliance: RunningAppliance;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-session-timer-"));
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: e2e-session-timer
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends BYE to an SRC that stops refreshing and ends its recording with session-expired", async () => {
    const sipp = await runSippCall({
      scenario: "siprec-uac-session-timer.xml",
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      timeoutMs: 90_000,
    });
    expect(sipp.exitCode, `${sipp.stdout}\n${sipp.stderr}`).toBe(0);
    const call = await waitFor("the call among the recent ones", async () => {
      const status = await appliance.status();
      return status.calls.live.length === 0 ? status.calls.recent[0] : undefined;
    });
    expect(call.state).toBe("completed");
    expect(call.reason).toBe("session-expired");
    const expired = appliance
      .output()
      .split("\n")
      .filter((line) => line.includes('"SIP_SESSION_EXPIRED"'));
    expect(expired).toHaveLength(1);
    expect(JSON.parse(expired[0] ?? "{}")).toMatchObject({ callId: call.callId, cause: "session-expired" });
  }, 120_000);
});
