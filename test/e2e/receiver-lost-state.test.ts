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
import { type RunningReceiver, restartReceiver, sleep, startReceiver } from "../helpers/outage.ts";
import { readReceivedCalls } from "../helpers/received-calls.ts";
import { runSippLoad } from "../helpers/sipp-load.ts";

/**
 * Issue 3's "receiver lost state" acceptance: mid-call the receiver is killed and comes back with an
 * empty store, so it answers the appliance's resume with `opened.nextSeq: 1` (an ack regression,
 * EASP.md §5). Everything is still in the spool, so the appliance sends the streams again from the
 * start: the new store ends up complete, with no DISCARDED span.
 */
describe("a receiver that lost its state", () => {
  let dir: string;
  let receiver: RunningReceiver;
  let appliance: RunningAppliance;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-lost-"));
    receiver = await startReceiver({ outDir: join(dir, "received") });
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: lost
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
sinks:
  - { name: ai, type: websocket, url: "${receiver.url}", mode: per-participant, format: PCMU/8000 }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    await receiver?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("is sent everything again from the spool, and its new store is complete", async () => {
    const load = runSippLoad({ calls: 1, durationS: 24, target: `127.0.0.1:${sipPort}`, transport: "udp" });
    await sleep(8_000);
    receiver = await restartReceiver(receiver, { signal: "SIGKILL", emptyOutDir: "wipe", downMs: 1_000 });
    const sipp = await load;
    expect(sipp.callsSucceeded).toBe(1);
    await waitFor(
      "the call to be delivered",
      async () => {
        const call = (await appliance.status()).calls.recent[0];
        return call && call.sinks.length === 2 && call.sinks.every((u) => u.state === "done")
          ? true
          : undefined;
      },
      60_000,
    );
    const received = await readReceivedCalls(receiver.outDir);
    expect(received.map((s) => s.label).sort()).toEqual(["1", "2"]);
    for (const stream of received) {
      const sent = stream.label === "1" ? sipp.sentPayload.mline1 : sipp.sentPayload.mline2;
      expect(
        stream.gaps.filter((g) => g.reason === 5),
        "DISCARDED spans",
      ).toEqual([]);
      expect(Buffer.from(stream.data).equals(Buffer.from(sent)), `label ${stream.label} bytes`).toBe(true);
    }
  }, 120_000);
});
