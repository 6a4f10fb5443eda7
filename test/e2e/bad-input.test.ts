import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  mediaPortRange,
  type RunningAppliance,
  spawnSiprecEdge,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import {
  metadataXml,
  multipartBody,
  offerSdp,
  openRawSipPeer,
  type RawSipPeer,
  sipInvite,
} from "../helpers/raw-sip.ts";

const pcmu = [{ pt: 0, rtpmap: "PCMU/8000" }];

describe("bad input never crashes the appliance and never goes unanswered", () => {
  let dir: string;
  let appliance: RunningAppliance;
  let sip: RawSipPeer;
  let sipPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-bad-"));
    sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: bad-input
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
    sip = await openRawSipPeer();
  });

  afterAll(async () => {
    sip?.close();
    await appliance?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const invite = (callId: string, contentType: string, body: string) =>
    sip.send(sipInvite({ callId, port: sip.port, srsPort: sipPort, contentType, body }), sipPort);

  it("answers broken rs-metadata XML with 400 and a reason", async () => {
    const body = multipartBody(
      offerSdp(30000, pcmu),
      "<recording xmlns='urn:ietf:params:xml:ns:recording:1'><participant>",
    );
    invite("broken-xml", "multipart/mixed;boundary=b0undary", body);
    const response = await sip.finalResponse("broken-xml");
    expect(response.status).toBe(400);
    expect(response.reason).toMatch(/^Malformed rs-metadata/);
  });

  it("answers a multipart body without a boundary parameter with 400", async () => {
    invite("no-boundary", "multipart/mixed", multipartBody(offerSdp(30000, pcmu), metadataXml()));
    const response = await sip.finalResponse("no-boundary");
    expect(response.status).toBe(400);
    expect(response.reason).toMatch(/boundary/i);
  });

  it("answers a body with no SDP part with 415", async () => {
    invite("text-only", "text/plain", "hello");
    const response = await sip.finalResponse("text-only");
    expect(response.status).toBe(415);
    expect(response.reason).toMatch(/Unsupported Media Type/);
  });

  it("answers an offer with no PCMU or PCMA audio with 488", async () => {
    const body = multipartBody(offerSdp(30000, [{ pt: 18, rtpmap: "G729/8000" }]), metadataXml());
    invite("g729-only", "multipart/mixed;boundary=b0undary", body);
    const response = await sip.finalResponse("g729-only");
    expect(response.status).toBe(488);
    expect(response.reason).toMatch(/No Acceptable Media/);
  });

  it("counts and drops garbage datagrams on the SIP port, and keeps answering OPTIONS", async () => {
    const before = (await appliance.status()).counters.sipParseErrors ?? 0;
    for (const garbage of [
      "\x00\x01\x02\x03",
      "NOT SIP AT ALL\r\n\r\n",
      "INVITE\r\n\r\n",
      "\u00ff".repeat(600),
    ]) {
      sip.sendBytes(Buffer.from(garbage, "latin1"), sipPort);
    }
    await waitFor("the parse errors to be counted", async () => {
      const errors = (await appliance.status()).counters.sipParseErrors ?? 0;
      return errors >= before + 4 ? errors : undefined;
    });
    sip.send(
      sipInvite({
        callId: "options-1",
        port: sip.port,
        srsPort: sipPort,
        contentType: "application/sdp",
        body: "",
        method: "OPTIONS",
      }),
      sipPort,
    );
    expect((await sip.finalResponse("options-1")).status).toBe(200);
  });

  it("counts and drops garbage on an RTP port of a live call, which still records and ends with BYE", async () => {
    const body = multipartBody(offerSdp(30000, pcmu), metadataXml());
    invite("live-call", "multipart/mixed;boundary=b0undary", body);
    const ok = await sip.finalResponse("live-call");
    expect(ok.status).toBe(200);
    const rtpPort = Number(/m=audio (\d+)/.exec(ok.bodyText)?.[1]);
    const toTag = ok.to?.tag ?? "";
    sip.send(
      sipInvite({
        callId: "live-call",
        port: sip.port,
        srsPort: sipPort,
        contentType: "application/sdp",
        body: "",
        method: "ACK",
        toTag,
      }).replace("CSeq: 2 ACK", "CSeq: 1 ACK"),
      sipPort,
    );
    for (let i = 0; i < 5; i++) sip.sendBytes(Buffer.from(`garbage ${i}`), rtpPort);
    const stream = await waitFor("the garbage to be counted on stream 1", async () => {
      const call = (await appliance.status()).calls.live.find((c) => c.sipCallId === "live-call");
      const s = call?.streams.find((st) => st.label === "1") as { packetsInvalid?: number } | undefined;
      return s && (s.packetsInvalid ?? 0) >= 5 ? s : undefined;
    });
    expect(stream.packetsInvalid).toBe(5);
    sip.send(
      sipInvite({
        callId: "live-call",
        port: sip.port,
        srsPort: sipPort,
        contentType: "application/sdp",
        body: "",
        method: "BYE",
        toTag,
      }),
      sipPort,
    );
    await waitFor("the call to complete", async () => {
      const call = (await appliance.status()).calls.recent.find((c) => c.sipCallId === "live-call");
      return call?.state === "completed" ? call : undefined;
    });
    expect(appliance.process.exitCode).toBeNull();
  });
});

describe("a bad configuration", () => {
  it("makes run and check-config exit non-zero, naming the key and the fix", async () => {
    const dir = await mkdtemp(join(tmpdir(), "siprec-edge-badconfig-"));
    const file = join(dir, "config.yaml");
    await writeFile(file, "sip: { lisen: ['udp:127.0.0.1:5060'] }\nspool: { max_bytes: lots }\n");
    for (const command of ["check-config", "run"]) {
      const run = spawnSiprecEdge([command, "--config", file]);
      expect(await run.exited).toBe(78);
      expect(run.output()).toContain('sip.lisen: is not a known key; did you mean "listen"?');
      expect(run.output()).toContain('spool.max_bytes: "lots" is not a size; write e.g. "20GB" or "512MiB"');
    }
    await rm(dir, { recursive: true, force: true });
  });
});
