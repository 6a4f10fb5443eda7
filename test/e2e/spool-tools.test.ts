import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
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
import { metadataXml, multipartBody, offerSdp, openRawSipPeer, sipInvite } from "../helpers/raw-sip.ts";
import { wavData } from "../helpers/received.ts";

const packets = 50;

function rtp(seq: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 160, 4);
  header.writeUInt32BE(0x5eed, 8);
  return Buffer.concat([header, payload]);
}

/** `siprec-edge spool ls` and `spool export` ask the running daemon, which serves WAV and pcap from the spool. */
describe("spool tools", () => {
  let dir: string;
  let appliance: RunningAppliance;
  let callId: string;
  const sent: Buffer[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-tools-"));
    const sipPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: tools
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
web: { listen: "127.0.0.1:${webPort}" }
`,
      webPort,
    );
    const sip = await openRawSipPeer();
    const body = multipartBody(offerSdp(30000, [{ pt: 0, rtpmap: "PCMU/8000" }]), metadataXml());
    sip.send(
      sipInvite({
        callId: "tools-1",
        port: sip.port,
        srsPort: sipPort,
        contentType: "multipart/mixed;boundary=b0undary",
        body,
      }),
      sipPort,
    );
    const ok = await sip.finalResponse("tools-1");
    const toTag = ok.to?.tag ?? "";
    const ack = sipInvite({
      callId: "tools-1",
      port: sip.port,
      srsPort: sipPort,
      contentType: "application/sdp",
      body: "",
      method: "ACK",
      toTag,
    });
    sip.send(ack.replace("CSeq: 2 ACK", "CSeq: 1 ACK"), sipPort);
    const rtpPort = Number(/m=audio (\d+)/.exec(ok.bodyText)?.[1]);
    const socket = createSocket("udp4");
    for (let i = 0; i < packets; i++) {
      const payload = Buffer.alloc(160, (i * 7) & 0x7f);
      sent.push(payload);
      socket.send(rtp(1000 + i, payload), rtpPort, "127.0.0.1");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    socket.close();
    await waitFor("every packet to be spooled", async () => {
      const live = (await appliance.status()).calls.live[0];
      return live?.streams[0]?.framesSpooled === packets ? live : undefined;
    });
    sip.send(
      sipInvite({
        callId: "tools-1",
        port: sip.port,
        srsPort: sipPort,
        contentType: "application/sdp",
        body: "",
        method: "BYE",
        toTag,
      }),
      sipPort,
    );
    await waitFor("the call to complete", async () => (await appliance.status()).calls.recent[0]);
    callId = (await appliance.status()).calls.recent[0]?.callId ?? "";
    sip.close();
  });

  afterAll(async () => {
    await appliance?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists the call with its size through the daemon", async () => {
    const ls = spawnSiprecEdge(["spool", "ls", "--web", appliance.webUrl]);
    expect(await ls.exited).toBe(0);
    expect(ls.output()).toContain(callId);
  });

  it("exports the call as one WAV per stream holding the recorded bytes, and as a pcap tshark decodes as RTP", async () => {
    const wavDir = join(dir, "wav");
    const pcapFile = join(dir, "call.pcap");
    const run = spawnSiprecEdge([
      "spool",
      "export",
      callId,
      "--wav",
      wavDir,
      "--pcap",
      pcapFile,
      "--web",
      appliance.webUrl,
    ]);
    expect(await run.exited, run.output()).toBe(0);
    const wavs = (await readdir(wavDir)).sort();
    expect(wavs).toHaveLength(2);
    const first = wavData(new Uint8Array(await readFile(join(wavDir, wavs[0] ?? ""))));
    expect(Buffer.from(first).equals(Buffer.concat(sent))).toBe(true);

    const tshark = spawnSync(
      "tshark",
      ["-r", pcapFile, "-d", "udp.port==40000,rtp", "-Y", "rtp", "-T", "fields", "-e", "rtp.seq"],
      {
        encoding: "utf8",
      },
    );
    const seqs = tshark.stdout.trim().split("\n").filter(Boolean).map(Number);
    expect(seqs).toHaveLength(packets);
    expect(seqs[0]).toBe(1000);
  });

  it("says clearly when the daemon is not running", async () => {
    const run = spawnSiprecEdge(["spool", "ls", "--web", "http://127.0.0.1:1"]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain("siprec-edge is not running at http://127.0.0.1:1");
  });
});
