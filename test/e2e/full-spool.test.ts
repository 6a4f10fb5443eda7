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
import { type EventSubscriber, type ReceivedEvent, subscribeEvents } from "../helpers/event-subscriber.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { type RunningReceiver, sipOptions, startReceiver } from "../helpers/outage.ts";
import { metadataXml, multipartBody, offerSdp, openRawSipPeer, sipInvite } from "../helpers/raw-sip.ts";
import { runSippLoad } from "../helpers/sipp-load.ts";

/**
 * Issue 3's full-spool acceptance: with a tiny `spool.max_bytes` and the upstream down, the spool
 * rises above its high-water mark; then OPTIONS and INVITE both get 503 with Retry-After,
 * SPOOLHIGHWATER is published and nothing crashes. When the upstream returns, delivered audio is
 * purged (`retain: 0s`) and new calls are accepted again.
 */
describe("a full spool", () => {
  let dir: string;
  let broker: MosquittoBroker;
  let subscriber: EventSubscriber;
  let receiver: RunningReceiver | undefined;
  let appliance: RunningAppliance;
  let sipPort: number;
  let receiverPort: number;
  let events: ReceivedEvent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-full-"));
    broker = await startMosquitto();
    subscriber = await subscribeEvents(broker.url, "full");
    events = subscriber.events;
    receiverPort = await freePort();
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: full
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db, max_bytes: 2MB, min_free_disk: 1MB, retain: 0s }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:${receiverPort}/stream", mode: per-participant, format: PCMU/8000 }
mqtt: { url: "${broker.url}" }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
  });

  afterAll(async () => {
    await appliance?.stop();
    await receiver?.stop();
    await subscriber?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function invite(callId: string): Promise<{ status: number; retryAfter: string | undefined }> {
    const peer = await openRawSipPeer();
    try {
      peer.send(
        sipInvite({
          callId,
          port: peer.port,
          srsPort: sipPort,
          contentType: "multipart/mixed;boundary=b0undary",
          body: multipartBody(offerSdp(30000, [{ pt: 0, rtpmap: "PCMU/8000" }]), metadataXml()),
        }),
        sipPort,
      );
      const response = await peer.finalResponse(callId);
      if (response.status === 200) {
        const toTag = response.to?.tag ?? "";
        for (const method of ["ACK", "BYE"]) {
          const request = sipInvite({
            callId,
            port: peer.port,
            srsPort: sipPort,
            contentType: "application/sdp",
            body: "",
            method,
            toTag,
          });
          peer.send(method === "ACK" ? request.replace("CSeq: 2 ACK", "CSeq: 1 ACK") : request, sipPort);
        }
      }
      return { status: response.status, retryAfter: response.header("retry-after") };
    } finally {
      peer.close();
    }
  }

  it("refuses INVITE and OPTIONS together above the high-water mark, then accepts again after the purge", async () => {
    const load = await runSippLoad({
      calls: 10,
      durationS: 12,
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
    });
    expect(load.exitCode, load.stderr).not.toBe(124);

    await waitFor("SPOOLHIGHWATER on the broker", () =>
      events.some((e) => e.event === "SPOOLHIGHWATER" && e.body.highWater === true) ? true : undefined,
    );
    const options = await sipOptions(sipPort);
    const refused = await invite("while-full");
    expect(options.status).toBe(503);
    expect(refused.status).toBe(503);
    expect(Number(options.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await appliance.status()).health.accepting).toBe(false);
    expect(appliance.process.exitCode).toBeNull();

    receiver = await startReceiver({ outDir: join(dir, "received"), port: receiverPort });
    await waitFor(
      "delivery and purge to bring the spool under its mark",
      async () => ((await sipOptions(sipPort)).status === 200 ? true : undefined),
      90_000,
    );
    await waitFor("SPOOLHIGHWATER with highWater false on the broker", () =>
      events.some((e) => e.event === "SPOOLHIGHWATER" && e.body.highWater === false) ? true : undefined,
    );
    expect((await invite("after-purge")).status).toBe(200);
  }, 180_000);
});
