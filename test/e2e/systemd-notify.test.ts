import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, mediaPortRange, type RunningAppliance, startAppliance } from "../helpers/appliance.ts";
import { NotifyListener } from "../helpers/notify-listener.ts";

/**
 * The compiled appliance under a systemd-like supervisor: `NOTIFY_SOCKET` is a datagram socket the
 * test owns and `WATCHDOG_USEC` asks for pings. The appliance says READY=1 (with a STATUS= line)
 * once it serves, feeds the watchdog, and says STOPPING=1 when told to stop (DESIGN.md §7).
 */
describe("systemd notification from the running appliance", () => {
  let dir: string;
  let listener: NotifyListener;
  let appliance: RunningAppliance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-notify-"));
    listener = new NotifyListener();
    await listener.listening();
    const sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    process.env.NOTIFY_SOCKET = listener.path;
    process.env.WATCHDOG_USEC = "200000";
    try {
      appliance = await startAppliance(
        dir,
        `appliance_id: e2e-notify
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
web: { listen: "127.0.0.1:${webPort}" }
`,
        webPort,
      );
    } finally {
      delete process.env.NOTIFY_SOCKET;
      delete process.env.WATCHDOG_USEC;
    }
  });

  afterAll(async () => {
    await appliance?.stop();
    listener?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("says READY=1 with a status line, feeds the watchdog, and says STOPPING=1 on SIGTERM", async () => {
    const pid = appliance.process.pid;
    const [ready] = await listener.waitFor((d) => d.pid === pid && d.state.includes("READY=1"));
    expect(ready?.state).toMatch(/STATUS=0 calls, spool /);
    await listener.waitFor((d) => d.pid === pid && d.state === "WATCHDOG=1", 3);
    await appliance.stop();
    await listener.waitFor((d) => d.pid === pid && d.state.includes("STOPPING=1"));
  });
});
