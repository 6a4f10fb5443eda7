import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CaptureStore, SipMessageRing, SipWireRecorder } from "../../../src/capture/index.ts";
import { createPortPool } from "../../../src/media/index.ts";
import { createSipStack } from "../../../src/sip/index.ts";
import { openSqliteSpool } from "../../../src/spool/index.ts";
import { createSrs } from "../../../src/srs/index.ts";
import { mediaPortRange } from "../../helpers/appliance.ts";
import { payloadText, readCapture } from "../capture/pcap-read.ts";
import { buildRtp } from "../media/rtp-harness.ts";
import { openRawUas } from "../sip/raw-uas.ts";

const offer = [
  "v=0",
  "o=src 1 1 IN IP4 127.0.0.1",
  "s=SIPREC",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 40000 RTP/AVP 0",
  "a=rtpmap:0 PCMU/8000",
  "a=label:1",
  "a=sendonly",
  "",
].join("\r\n");

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function request(
  method: string,
  cseq: number,
  srsPort: number,
  srcPort: number,
  toTag = "",
  body = "",
): string {
  return [
    `${method} sip:srs@127.0.0.1:${srsPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${srcPort};branch=z9hG4bK-${method}-${cseq};rport`,
    "Max-Forwards: 70",
    "From: <sip:sbc@127.0.0.1>;tag=sbc-1",
    `To: <sip:srs@127.0.0.1>${toTag ? `;tag=${toTag}` : ""}`,
    "Call-ID: rec-capture@127.0.0.1",
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:sbc@127.0.0.1:${srcPort}>;+sip.src`,
    ...(body ? ["Content-Type: application/sdp"] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}

describe("the SRS's per-call capture", () => {
  it("holds the call's SIP from the INVITE to the BYE's 200 and its RTP, addressed as the SDP answer says", async () => {
    const dir = mkdtempSync(join(tmpdir(), "srs-capture-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ring = new SipMessageRing(50);
    const store = new CaptureStore({ dir, maxBytes: 1e9, ring });
    cleanups.push(() => store.close());
    const sip = createSipStack({ listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] });
    const recorder = new SipWireRecorder({ ring, store });
    sip.onWire((event) => recorder.record(event));
    await sip.start();
    cleanups.push(() => sip.close());
    const spool = openSqliteSpool({ path: ":memory:", commitIntervalMs: 20 });
    cleanups.push(() => spool.close());
    const srs = createSrs({
      sip,
      spool,
      frames: { frame: () => {} },
      ports: createPortPool(mediaPortRange()),
      mediaAddress: "0.0.0.0",
      advertiseAddress: "127.0.0.1",
      roles: { order: "customer-first", agentLabels: [] },
      allowFrom: [],
      captures: store,
    });
    cleanups.push(() => srs.endAll());
    const src = await openRawUas();
    cleanups.push(() => src.close());
    const srsPort = sip.listening()[0]?.port ?? 0;

    src.send(request("INVITE", 1, srsPort, src.port, "", offer), srsPort);
    expect((await src.nextResponse()).status).toBe(100);
    const ok = await src.nextResponse();
    const toTag = ok.to?.tag ?? "";
    const rtpPort = Number(/m=audio (\d+)/.exec(new TextDecoder().decode(ok.body))?.[1]);
    src.send(request("ACK", 1, srsPort, src.port, toTag), srsPort);
    const rtp = createSocket("udp4");
    await new Promise<void>((resolve) =>
      rtp.bind(40_000 + (src.port % 1000) * 2, "127.0.0.1", () => resolve()),
    );
    cleanups.push(() => new Promise<void>((resolve) => rtp.close(() => resolve())));
    for (let seq = 1; seq <= 3; seq++) {
      await new Promise<void>((resolve) =>
        rtp.send(buildRtp({ seq, ts: seq * 160 }), rtpPort, "127.0.0.1", () => resolve()),
      );
    }
    const call = srs.sessions()[0];
    for (let i = 0; i < 200 && (call?.streamStatus()[0]?.rtp.packetsReceived ?? 0) < 2; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    src.send(request("BYE", 2, srsPort, src.port, toTag), srsPort);
    expect((await src.nextResponse()).status).toBe(200);

    const callId = call?.call.callId ?? "";
    expect(store.find("rec-capture@127.0.0.1")).toBeUndefined();
    const records = readCapture(store.path(callId) ?? "").records;
    const sipLines = records.filter((r) => r.payload[0] !== 0x80).map((r) => payloadText(r).split("\r\n")[0]);
    expect(sipLines).toEqual([
      `INVITE sip:srs@127.0.0.1:${srsPort} SIP/2.0`,
      "SIP/2.0 100 Trying",
      "SIP/2.0 200 OK",
      `ACK sip:srs@127.0.0.1:${srsPort} SIP/2.0`,
      `BYE sip:srs@127.0.0.1:${srsPort} SIP/2.0`,
      "SIP/2.0 200 OK",
    ]);
    const media = records.filter((r) => r.payload[0] === 0x80);
    expect(media.length).toBeGreaterThanOrEqual(2);
    expect(media.every((r) => r.dst === "127.0.0.1" && r.dstPort === rtpPort)).toBe(true);
  });
});
