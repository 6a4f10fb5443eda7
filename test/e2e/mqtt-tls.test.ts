import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  spawnSiprecEdge,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { connectCommandClient, watchStatus } from "../helpers/mqtt-commands.ts";
import { openRawSipPeer } from "../helpers/raw-sip.ts";
import { createTestPki, type TestPki } from "../helpers/test-pki.ts";

/** The parts of `/api/status` (and of `getStatus`'s result) these tests read. */
interface StatusJson {
  applianceId: string;
  health: { mqtt: { configured: boolean; connected: boolean }; sip: { listening: string[] } };
}

/**
 * Issue 4, item 1: the compiled appliance talks MQTT 5 over TLS to a real mosquitto, authenticated
 * by a client certificate or by user name and password from its config (`mqtt.tls.*` PEM paths
 * relative to the config file). The test's own MQTT clients use the broker's plain, anonymous
 * listener; the appliance only ever gets the TLS one.
 */
describe("MQTT over TLS", () => {
  const certId = "e2e-tls-cert";
  let pki: TestPki;
  let dir: string;
  let certBroker: MosquittoBroker;
  let passwordBroker: MosquittoBroker;
  const appliances: RunningAppliance[] = [];

  beforeAll(async () => {
    pki = await createTestPki({ clientCommonName: certId });
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-mqtt-tls-"));
    const server = { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey };
    [certBroker, passwordBroker] = await Promise.all([
      startMosquitto({ tls: { ...server, requireCertificate: true } }),
      startMosquitto({ tls: server, users: { "e2e-tls-password": "s3cret-for-tests" } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(appliances.map((a) => a.stop()));
    await certBroker?.stop();
    await passwordBroker?.stop();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Starts the appliance `id` in its own folder; `mqttYaml` writes its `mqtt` section as a YAML flow
   * mapping, and its `pem` turns a PEM path into a quoted path relative to the config file.
   */
  const startWithMqtt = async (
    id: string,
    mqttYaml: (pem: (file: string) => string) => string,
  ): Promise<RunningAppliance & { sipPort: number }> => {
    const home = join(dir, id);
    await mkdir(home);
    const sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    const yaml = `appliance_id: ${id}
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
mqtt: ${mqttYaml((file) => JSON.stringify(relative(home, file)))}
web: { listen: "127.0.0.1:${webPort}" }
`;
    const appliance = await startAppliance(home, yaml, webPort);
    appliances.push(appliance);
    return { ...appliance, sipPort };
  };

  /**
   * Waits for the appliance's `online` status on the broker, checks that a later subscriber gets it
   * retained, then checks a `getStatus` round trip.
   */
  const expectOnlineAndCommanded = async (broker: MosquittoBroker, id: string): Promise<void> => {
    const onlineStatus = async (): Promise<Record<string, unknown>> => {
      const status = await watchStatus(broker.url, id);
      try {
        return await waitFor("the online status", () => status.messages.find((m) => m.state === "online"));
      } finally {
        await status.close();
      }
    };
    await onlineStatus();
    expect(await onlineStatus()).toMatchObject({ applianceId: id, retained: true });
    const commands = await connectCommandClient(broker.url, id);
    try {
      const reply = await commands.send("getStatus", {});
      expect(reply.correlation?.equals(reply.sentCorrelation)).toBe(true);
      expect(reply.ok).toBe(true);
      expect(reply.result).toMatchObject({
        applianceId: id,
        health: { mqtt: { configured: true, connected: true } },
      });
    } finally {
      await commands.close();
    }
  };

  it("connects with its client certificate to a broker that requires one, publishes its status and answers commands", async () => {
    const anonymous = mqtt.connectAsync(certBroker.tlsUrl ?? "", {
      protocolVersion: 5,
      ca: pki.ca,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    await expect(anonymous, "the broker lets in a client without a certificate").rejects.toThrow();

    await startWithMqtt(
      certId,
      (pem) =>
        `{ url: "${certBroker.tlsUrl}", tls: { ca: ${pem(pki.ca)}, cert: ${pem(pki.clientCert)}, key: ${pem(pki.clientKey)} } }`,
    );
    await expectOnlineAndCommanded(certBroker, certId);
  }, 20_000);

  it("authenticates with user name and password over TLS, trusting the broker through the configured CA", async () => {
    const id = "e2e-tls-password";
    await startWithMqtt(
      id,
      (pem) =>
        `{ url: "${passwordBroker.tlsUrl}", username: ${id}, password: s3cret-for-tests, tls: { ca: ${pem(pki.ca)} } }`,
    );
    await expectOnlineAndCommanded(passwordBroker, id);
  }, 20_000);

  it("keeps answering SIP with a wrong MQTT password, shows MQTT disconnected and logs the broker's refusal", async () => {
    const appliance = await startWithMqtt(
      "e2e-tls-wrong-password",
      (pem) =>
        `{ url: "${passwordBroker.tlsUrl}", username: e2e-tls-password, password: not-the-password, tls: { ca: ${pem(pki.ca)} } }`,
    );
    const refusal = await waitFor("the broker's refusal in the log", () =>
      appliance
        .output()
        .split("\n")
        .find((line) => /mqtt/i.test(line) && /not authori[sz]ed|bad user name or password/i.test(line)),
    );
    expect(refusal).toBeTruthy();

    const status = (await (await fetch(`${appliance.webUrl}/api/status`)).json()) as StatusJson;
    expect(status.health.mqtt).toEqual({ configured: true, connected: false });
    expect(status.health.sip.listening).toEqual([`udp:127.0.0.1:${appliance.sipPort}`]);
    expect((await fetch(`${appliance.webUrl}/healthz`)).status).toBe(200);
    const peer = await openRawSipPeer();
    try {
      peer.send(
        `OPTIONS sip:srs@127.0.0.1:${appliance.sipPort} SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-tls-1
Max-Forwards: 70
From: <sip:probe@127.0.0.1>;tag=t1
To: <sip:srs@127.0.0.1>
Call-ID: mqtt-tls-options-1
CSeq: 1 OPTIONS
Content-Length: 0

`,
        appliance.sipPort,
      );
      expect((await peer.finalResponse("mqtt-tls-options-1")).status).toBe(200);
    } finally {
      peer.close();
    }
    expect(appliance.process.exitCode).toBeNull();
  }, 25_000);

  it("does not connect to a broker whose certificate its configured CA did not sign, and says why", async () => {
    const stranger = await createTestPki({ clientCommonName: "stranger" });
    try {
      const appliance = await startWithMqtt(
        "e2e-tls-untrusted",
        (pem) =>
          `{ url: "${passwordBroker.tlsUrl}", username: e2e-tls-password, password: s3cret-for-tests, tls: { ca: ${pem(stranger.ca)} } }`,
      );
      const complaint = await waitFor("the certificate complaint in the log", () =>
        appliance
          .output()
          .split("\n")
          .find((line) => /mqtt/i.test(line) && /certificate/i.test(line)),
      );
      expect(complaint).toBeTruthy();
      const status = (await (await fetch(`${appliance.webUrl}/api/status`)).json()) as StatusJson;
      expect(status.health.mqtt).toEqual({ configured: true, connected: false });
    } finally {
      await stranger.remove();
    }
  }, 20_000);

  it("refuses to start when mqtt.tls.cert names a file that does not exist, naming the key", async () => {
    const home = join(dir, "missing-cert");
    await mkdir(home);
    const configPath = join(home, "config.yaml");
    const [lo, hi] = mediaPortRange();
    await writeFile(
      configPath,
      `appliance_id: e2e-tls-missing
sip: { listen: ["udp:127.0.0.1:${await freePort()}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
mqtt:
  url: "${certBroker.tlsUrl}"
  tls: { ca: ${JSON.stringify(pki.ca)}, cert: ./no-such-client.pem, key: ${JSON.stringify(pki.clientKey)} }
web: { listen: "127.0.0.1:${await freePort()}" }
`,
    );
    const run = spawnSiprecEdge(["run", "--config", configPath], home);
    const code = await Promise.race([
      run.exited,
      new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 10_000)),
    ]);
    await run.stop();
    expect(code, run.output()).toBe(78);
    expect(run.output()).toContain("mqtt.tls.cert");
    expect(run.output()).toContain("no-such-client.pem");
    expect(existsSync(join(home, "spool.db"))).toBe(false);
    const check = spawnSiprecEdge(["check-config", "--config", configPath], home);
    expect(await check.exited).toBe(78);
    expect(check.output()).toContain("mqtt.tls.cert");
  }, 20_000);
});
