import { createSocket, type Socket } from "node:dgram";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createSipStack, type SipNextHop, type SipStack } from "../../src/sip/index.ts";
import {
  formatCryptoAttribute,
  generateKeyMaterial,
  parseCryptoAttribute,
  SrtpContext,
  type SrtpKeyMaterial,
} from "../../src/srtp/index.ts";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  repoRoot,
  spooledStreams,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { metadataXml, multipartBody } from "../helpers/raw-sip.ts";
import { parseSdpText } from "../helpers/sdp-text.ts";
import { createTestPki, type TestPki } from "../helpers/test-pki.ts";

/** 3 s of PCMU per stream: 150 packets of 160 bytes (20 ms). */
const packets = 150;
const payloadBytes = 160;
const boundary = "b0undary";

/** One recorded stream as the SBC sends it: the m-line's label, its SDES key, its RTP numbering and audio. */
interface SbcStream {
  label: string;
  fixture: string;
  key: SrtpKeyMaterial;
  ssrc: number;
  /** First sequence number; stream 1 starts just below 65535 so the SRTP ROC rolls over (RFC 3711 §3.3.1). */
  firstSeq: number;
  socket: Socket;
  audio: Uint8Array;
}

/** The SBC's SDP offer: one labelled `sendonly` `RTP/SAVP 0` m-line per stream, each with its own key (RFC 4568 §9.1). */
function srtpOffer(streams: SbcStream[]): string {
  const lines = ["v=0", "o=sbc 1 1 IN IP4 127.0.0.1", "s=SIPREC", "c=IN IP4 127.0.0.1", "t=0 0"];
  for (const s of streams) {
    lines.push(`m=audio ${s.socket.address().port} RTP/SAVP 0`, "a=rtpmap:0 PCMU/8000");
    lines.push(`a=crypto:${formatCryptoAttribute(1, s.key)}`, `a=label:${s.label}`, "a=sendonly");
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** An RTP packet (RFC 3550 §5.1): V=2, PT 0 (PCMU), marker on the first packet, one 20 ms payload. */
function rtpPacket(stream: SbcStream, i: number): Uint8Array {
  const packet = new Uint8Array(12 + payloadBytes);
  const view = new DataView(packet.buffer);
  packet[0] = 0x80;
  packet[1] = i === 0 ? 0x80 : 0x00;
  view.setUint16(2, (stream.firstSeq + i) & 0xffff);
  view.setUint32(4, (0x1000 + i * payloadBytes) >>> 0);
  view.setUint32(8, stream.ssrc);
  packet.set(stream.audio.subarray(i * payloadBytes, (i + 1) * payloadBytes), 12);
  return packet;
}

/** Sends every stream's packets as SRTP to `ports[label]`, one packet per stream every 20 ms. */
async function sendSrtp(streams: SbcStream[], ports: Map<string, number>): Promise<void> {
  const contexts = streams.map((s) => new SrtpContext(s.key));
  const start = performance.now();
  for (let i = 0; i < packets; i++) {
    streams.forEach((s, n) => {
      const srtp = contexts[n]?.protect(rtpPacket(s, i)) ?? new Uint8Array();
      s.socket.send(srtp, ports.get(s.label) ?? 0, "127.0.0.1");
    });
    const wait = start + (i + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

async function openRtpSocket(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

/**
 * SDES-SRTP from an SBC (RFC 4568, RFC 3711): the compiled appliance answers a SIPREC INVITE that came
 * over SIP/TLS with `RTP/SAVP` and its own key per m-line, decrypts the SRC's SRTP with the SRC's key and
 * records the G.711 bytes as they were before encryption. The same offer over plain UDP signalling is
 * refused with 488, since its keys crossed the network in clear (RFC 4568 §8.3). The SBC is played by
 * the project's own SIP stack (SIPp 3.6.1 has no TLS) with a throw-away CA.
 */
describe("SRTP from an SBC over SIP/TLS", () => {
  let dir: string;
  let pki: TestPki;
  let appliance: RunningAppliance;
  let sbc: SipStack;
  let sipPort: number;
  let tlsPort: number;
  const streams: SbcStream[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-srtp-sbc-"));
    pki = await createTestPki({ clientCommonName: "sbc" });
    sipPort = await freePort();
    tlsPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: e2e-srtp-sbc
sip:
  listen: ["udp:127.0.0.1:${sipPort}", "tls:127.0.0.1:${tlsPort}"]
  tls: { cert: "${pki.serverCert}", key: "${pki.serverKey}", ca: "${pki.ca}" }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./var/spool.db }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
    sbc = createSipStack({
      listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }],
      tls: { ca: await readFile(pki.ca, "utf8") },
    });
    await sbc.start();
    const fixtures = join(repoRoot, "test/fixtures/audio");
    for (const [label, fixture, firstSeq] of [
      ["1", "agent.ulaw", 65_480],
      ["2", "customer.ulaw", 1_000],
    ] as const) {
      const audio = new Uint8Array(await readFile(join(fixtures, fixture))).subarray(
        0,
        packets * payloadBytes,
      );
      const key = generateKeyMaterial("AES_CM_128_HMAC_SHA1_80");
      const ssrc = 0x5bc00000 + Number(label);
      streams.push({ label, fixture, key, ssrc, firstSeq, socket: await openRtpSocket(), audio });
    }
  });

  afterAll(async () => {
    for (const s of streams) s.socket.close();
    await sbc?.close();
    await appliance?.stop();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  const invite = (hop: SipNextHop, uri: string, callId: string) => {
    const sdp = srtpOffer(streams);
    return sbc.invite(hop, {
      uri,
      callId,
      from: "<sip:sbc@127.0.0.1>",
      headers: { Require: "siprec" },
      body: multipartBody(sdp, metadataXml(), boundary).replace(/\r?\n/g, "\r\n"),
      contentType: `multipart/mixed;boundary=${boundary}`,
      sdp,
      contactParams: ";+sip.src",
      sessionTimer: false,
    });
  };

  it.concurrent("answers RTP/SAVP with its own key per m-line and records the decrypted µ-law byte for byte", async ({
    expect,
  }) => {
    const callId = "srtp-over-tls@sbc";
    const { response, dialog } = await invite(
      { transport: "tls", address: "127.0.0.1", port: tlsPort },
      `sips:srs@127.0.0.1:${tlsPort}`,
      callId,
    );
    expect([response.status, response.reason]).toEqual([200, "OK"]);
    if (!dialog) throw new Error("no dialog for the 200");
    expect(response.headers.get("contact")).toMatch(/^<sips:/);

    const answer = parseSdpText(response.bodyText);
    expect(answer.media.map((m) => [m.label, m.proto, m.formats, m.direction, m.crypto.length])).toEqual([
      ["1", "RTP/SAVP", [0], "recvonly", 1],
      ["2", "RTP/SAVP", [0], "recvonly", 1],
    ]);
    const ports = new Map<string, number>();
    answer.media.forEach((m, i) => {
      const theirs = parseCryptoAttribute(m.crypto[0] ?? "");
      const ours = streams[i]?.key;
      expect([theirs.tag, theirs.profile]).toEqual([1, "AES_CM_128_HMAC_SHA1_80"]);
      expect(Buffer.from(theirs.key.masterKey).equals(Buffer.from(ours?.masterKey ?? []))).toBe(false);
      expect(m.address).toBe("127.0.0.1");
      ports.set(m.label ?? "", m.port);
    });

    await sendSrtp(streams, ports);
    const live = await waitFor("every SRTP packet to be spooled", async () => {
      const call = (await appliance.status()).calls.live.find((c) => c.sipCallId === callId);
      return call?.streams.length === 2 && call.streams.every((s) => s.framesSpooled === packets)
        ? call
        : undefined;
    });
    expect((await dialog.bye()).status).toBe(200);

    const done = await waitFor("the call to complete", async () =>
      (await appliance.status()).calls.recent.find((c) => c.callId === live.callId),
    );
    expect(done.state).toBe("completed");
    const byLabel = (a: { label: string }, b: { label: string }) => a.label.localeCompare(b.label);
    expect(
      done.streams.sort(byLabel).map((s) => [s.label, s.codec, s.packetsReceived, s.packetsLost]),
    ).toEqual([
      ["1", "PCMU", packets, 0],
      ["2", "PCMU", packets, 0],
    ]);
    const stored = (await spooledStreams(appliance.webUrl, live.callId)).sort(byLabel);
    expect(stored.map((s) => [s.label, s.audioFrames, s.gapFrames, s.data.byteLength])).toEqual([
      ["1", packets, 0, packets * payloadBytes],
      ["2", packets, 0, packets * payloadBytes],
    ]);
    for (const s of stored) {
      const sent = streams.find((t) => t.label === s.label);
      expect(Buffer.from(s.data).equals(Buffer.from(sent?.audio ?? [])), `${sent?.fixture}`).toBe(true);
    }
  }, 30_000);

  it.concurrent("refuses the same SRTP offer over plain UDP with 488 saying SRTP needs TLS", async ({
    expect,
  }) => {
    const callId = "srtp-over-udp@sbc";
    const { response, dialog } = await invite(
      { transport: "udp", address: "127.0.0.1", port: sipPort },
      `sip:srs@127.0.0.1:${sipPort}`,
      callId,
    );
    expect(response.status).toBe(488);
    expect(response.reason).toMatch(/TLS/);
    expect(dialog).toBeUndefined();
    const status = await appliance.status();
    expect([...status.calls.live, ...status.calls.recent].some((c) => c.sipCallId === callId)).toBe(false);
  }, 30_000);
});
