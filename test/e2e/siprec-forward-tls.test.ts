import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alaw, mulaw } from "alawmulaw";
import { afterAll, beforeAll, describe, it } from "vitest";
import { parseCryptoAttribute } from "../../src/srtp/index.ts";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  spawnSiprecEdge,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type EventSubscriber, subscribeEvents } from "../helpers/event-subscriber.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { type RemoteSrs, startRemoteSrs } from "../helpers/remote-srs.ts";
import { validateMetadata } from "../helpers/sdp-text.ts";
import { runSippLoad, type SippLoadResult } from "../helpers/sipp-load.ts";
import { createTestPki, type TestPki } from "../helpers/test-pki.ts";

/**
 * Issue 5's TLS and SRTP acceptance: the compiled appliance forwards a real SIPp call (4 s, PCMU)
 * over SIP/TLS with SDES-SRTP (RFC 4568, AES_CM_128_HMAC_SHA1_80) to a remote SRS played by the
 * project's own SIP stack (SIPp 3.6.1 has no TLS), with a throw-away CA on both sides; the SRS's
 * listener decrypts the RTP with the key of our SDP offer and gets the call's audio, transcoded to
 * PCMA, byte for byte. SRTP with plain `sip:` signalling is refused, by `check-config` and by the
 * `startSIPRecForward` command.
 */
describe("SIPREC forwarding over TLS with SRTP", () => {
  const applianceId = "e2e-forward-tls";
  let dir: string;
  let pki: TestPki;
  let broker: MosquittoBroker;
  let subscriber: EventSubscriber;
  let remote: RemoteSrs;
  let appliance: RunningAppliance;
  let sipPort: number;
  let tlsPort: number;
  let call: Promise<SippLoadResult>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-forward-tls-"));
    pki = await createTestPki({ clientCommonName: applianceId });
    broker = await startMosquitto();
    subscriber = await subscribeEvents(broker.url, applianceId);
    remote = await startRemoteSrs({
      transport: "tls",
      tls: {
        cert: await readFile(pki.serverCert, "utf8"),
        key: await readFile(pki.serverKey, "utf8"),
        ca: await readFile(pki.ca, "utf8"),
      },
    });
    sipPort = await freePort();
    tlsPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: ${applianceId}
sip:
  listen: ["udp:127.0.0.1:${sipPort}", "tls:127.0.0.1:${tlsPort}"]
  tls: { cert: "${pki.serverCert}", key: "${pki.serverKey}", ca: "${pki.ca}" }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
sinks:
  - name: secure
    type: siprec
    uri: "sips:127.0.0.1:${remote.port}"
    codec: PCMA/8000
    srtp: AES_CM_128_HMAC_SHA1_80
    options_ping: 1s
routing: { default_sinks: all }
mqtt: { url: "${broker.url}" }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
    call = runSippLoad({
      calls: 1,
      durationS: 4,
      target: `127.0.0.1:${sipPort}`,
      transport: "udp",
      byeMarginMs: 1_500,
    });
  });

  afterAll(async () => {
    await call?.catch(() => undefined);
    await appliance?.stop();
    await remote?.close();
    await subscriber?.close();
    await broker?.stop();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it.concurrent("sends the call over TLS with SRTP that the SRS decrypts with our offer's key, byte for byte", async ({
    expect,
  }) => {
    const sipp = await call;
    expect(sipp.exitCode, sipp.stdout + sipp.stderr).toBe(0);
    const stopped = await waitFor("SIPRECFORWARDSTOPPED", () =>
      subscriber.events.find((e) => e.event === "SIPRECFORWARDSTOPPED"),
    );
    expect(stopped.body).toMatchObject({
      sink: "secure",
      reason: "call-ended",
      target: `tls:127.0.0.1:${remote.port}`,
    });

    expect(remote.invites).toHaveLength(1);
    const invite = remote.invites[0];
    if (!invite || invite.offer instanceof Error) throw invite?.offer ?? new Error("no INVITE");
    expect(invite.status).toBe(200);
    expect(invite.ended).toBe(true);
    expect(invite.message.startLine).toBe(`INVITE sips:127.0.0.1:${remote.port} SIP/2.0`);
    expect(invite.message.header("via")).toMatch(/^SIP\/2\.0\/TLS /);
    expect(invite.message.header("contact")).toMatch(/^<sips:src@127\.0\.0\.1:\d+[;>]|;transport=tls/);
    expect(invite.message.header("contact")).toContain("+sip.src");
    expect(invite.message.header("require")).toContain("siprec");
    expect(validateMetadata(invite.offer.metadata).status).toBe(0);

    const media = invite.offer.sdp.media;
    expect(media.map((m) => [m.proto, m.formats, m.direction, m.crypto.length])).toEqual([
      ["RTP/SAVP", [8], "sendonly", 1],
      ["RTP/SAVP", [8], "sendonly", 1],
    ]);
    const keys = media.map((m) => parseCryptoAttribute(m.crypto[0] ?? ""));
    expect(keys.map((k) => k.profile)).toEqual(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80"]);
    expect(Buffer.from(keys[0]?.key.masterKey ?? []).equals(Buffer.from(keys[1]?.key.masterKey ?? []))).toBe(
      false,
    );

    const sent: Record<string, Uint8Array> = { "1": sipp.sentPayload.mline1, "2": sipp.sentPayload.mline2 };
    media.forEach((m, i) => {
      const capture = invite.captures[i];
      const expected = Buffer.from(alaw.encode(mulaw.decode(sent[m.label ?? ""] ?? new Uint8Array())));
      const decrypted = capture?.read(keys[i]?.key);
      expect([decrypted?.packets, decrypted?.refused, decrypted?.duplicates, decrypted?.missing]).toEqual([
        200, 0, 0, 0,
      ]);
      expect(decrypted?.payloadTypes).toEqual([8]);
      expect(Buffer.from(decrypted?.payload ?? []).equals(expected)).toBe(true);
      expect(Buffer.from(capture?.read().payload ?? []).equals(expected)).toBe(false);
    });
    expect(remote.options()).toBeGreaterThan(0);
  }, 60_000);

  it.concurrent("refuses SRTP with plain sip: signalling, in the config and in the startSIPRecForward command", async ({
    expect,
  }) => {
    const configPath = join(dir, "srtp-over-udp.yaml");
    await writeFile(
      configPath,
      `sinks:
  - { name: insecure, type: siprec, uri: "sip:127.0.0.1:5999", srtp: AES_CM_128_HMAC_SHA1_80 }
`,
    );
    const check = spawnSiprecEdge(["check-config", "--config", configPath], dir);
    expect(await check.exited, check.output()).toBe(78);
    expect(check.output()).toContain("sinks[0].srtp");

    const live = await waitFor("the live call", async () => (await appliance.status()).calls.live[0]);
    const refused = await fetch(`${appliance.webUrl}/api/commands/startSIPRecForward`, {
      method: "POST",
      body: JSON.stringify({
        sessionId: live.callId,
        sink: "adhoc",
        uri: "sip:127.0.0.1:5999",
        srtp: "AES_CM_128_HMAC_SHA1_80",
      }),
    });
    const reply = (await refused.json()) as {
      ok: boolean;
      error: { code: string; field?: string; message: string };
    };
    expect(refused.status).toBe(400);
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe("INVALID_ARGUMENT");
    expect(`${reply.error.field ?? ""} ${reply.error.message}`).toMatch(/srtp|SRTP/);
    expect(reply.error.message).toMatch(/TLS|tls|sips/);
  }, 60_000);
});
