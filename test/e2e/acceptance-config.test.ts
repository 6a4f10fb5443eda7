import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startAppliance } from "../helpers/appliance.ts";

/** The configuration from the first release's acceptance list, verbatim (fixed ports 15060, 18080, 18081, 1883). */
const acceptanceConfig = `appliance_id: edge-test
sip: { listen: ["udp:127.0.0.1:15060", "tcp:127.0.0.1:15060"] }
media: { address: 127.0.0.1, port_range: [40000, 40999] }
spool: { path: ./var/spool.db }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:18080/stream", protocol: easp, mode: per-participant, format: PCMU/8000 }
mqtt: { url: "mqtt://127.0.0.1:1883" }
web: { listen: "127.0.0.1:18081" }
`;

it("runs the acceptance configuration as is, next to a fresh ./var, listening on UDP and TCP", async () => {
  const dir = await mkdtemp(join(tmpdir(), "siprec-edge-acceptance-"));
  await mkdir(join(dir, "var"));
  const appliance = await startAppliance(dir, acceptanceConfig, 18081);
  try {
    const status = await appliance.status();
    expect(status.health.sip.listening).toEqual(["udp:127.0.0.1:15060", "tcp:127.0.0.1:15060"]);
    expect(status.health.accepting).toBe(true);
  } finally {
    expect(await appliance.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  }
});
