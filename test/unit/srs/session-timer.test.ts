import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/lib/index.ts";
import { createPortPool } from "../../../src/media/index.ts";
import { createSipStack, type SipResponse, type SipStack } from "../../../src/sip/index.ts";
import { openSqliteSpool, type Spool } from "../../../src/spool/index.ts";
import { createSrs, type Srs, type StreamStopReason } from "../../../src/srs/index.ts";
import { mediaPortRange } from "../../helpers/appliance.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { openRawUas, type RawUas } from "../sip/raw-uas.ts";

/** An SRC's SDP offer: one PCMU m-line it sends. */
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

interface Env {
  sip: SipStack;
  srs: Srs;
  spool: Spool;
  clock: ManualClock;
  src: RawUas;
  port: number;
  logs: Array<Record<string, unknown>>;
  completed: Array<{ callId: string; reason: string }>;
  stopped: StreamStopReason[];
}

let env: Env | undefined;

afterEach(async () => {
  if (!env) return;
  env.srs.endAll();
  await env.sip.close();
  await env.src.close();
  env.spool.close();
  env = undefined;
});

async function start(): Promise<Env> {
  const clock = new ManualClock();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const sip = createSipStack({ listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }], clock });
  await sip.start();
  const spool = openSqliteSpool({ path: ":memory:", commitIntervalMs: 20 });
  const srs = createSrs({
    sip,
    spool,
    frames: { frame: () => {} },
    ports: createPortPool(mediaPortRange()),
    mediaAddress: "127.0.0.1",
    roles: { order: "customer-first", agentLabels: [] },
    allowFrom: [],
    clock,
    logger,
  });
  const completed: Env["completed"] = [];
  const stopped: StreamStopReason[] = [];
  srs.observer.on("sessioncompleted", (call) => completed.push({ callId: call.callId, reason: call.reason }));
  srs.observer.on("streamstopped", (_call, _stream, _rtp, reason) => stopped.push(reason));
  const src = await openRawUas();
  env = { sip, srs, spool, clock, src, port: sip.listening()[0]?.port ?? 0, logs, completed, stopped };
  return env;
}

/** A request of the SRC inside (with `toTag`) or outside the recording dialog. */
function srcRequest(
  e: Env,
  spec: { method: string; cseq: number; toTag?: string; extra?: string[]; body?: string },
): string {
  const body = spec.body ?? "";
  return [
    `${spec.method} sip:srs@127.0.0.1:${e.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${e.src.port};branch=z9hG4bK-src-${spec.method}-${spec.cseq};rport`,
    "Max-Forwards: 70",
    "From: <sip:sbc@127.0.0.1>;tag=sbc-1",
    `To: <sip:srs@127.0.0.1>${spec.toTag ? `;tag=${spec.toTag}` : ""}`,
    "Call-ID: rec-1@127.0.0.1",
    `CSeq: ${spec.cseq} ${spec.method}`,
    `Contact: <sip:sbc@127.0.0.1:${e.src.port}>;+sip.src`,
    ...(spec.extra ?? []),
    ...(body === "" ? [] : ["Content-Type: application/sdp"]),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}

/** Sends the SRC's INVITE; returns its final response. */
async function invite(e: Env, extra: string[]): Promise<SipResponse> {
  e.src.send(srcRequest(e, { method: "INVITE", cseq: 1, extra, body: offer }), e.port);
  expect((await e.src.nextResponse()).status).toBe(100);
  return e.src.nextResponse();
}

/** INVITE, 200, ACK: returns the 200 once the SRS has the ACK. */
async function record(e: Env, extra: string[]): Promise<SipResponse> {
  const ok = await invite(e, extra);
  expect(ok.status).toBe(200);
  e.src.send(srcRequest(e, { method: "ACK", cseq: 1, toTag: ok.to?.tag ?? "" }), e.port);
  await optionsPing(e, 100);
  return ok;
}

/** An out-of-dialog OPTIONS: its answer proves every datagram sent before it was handled. */
async function optionsPing(e: Env, cseq: number): Promise<void> {
  e.src.send(srcRequest(e, { method: "OPTIONS", cseq }), e.port);
  expect((await e.src.nextResponse()).status).toBe(200);
}

const expiredLogs = (e: Env) => e.logs.filter((line) => line.code === "SIP_SESSION_EXPIRED");

describe("SRS session timers (RFC 4028)", () => {
  it("answers the SRC's Session-Expires with refresher=uac and Require: timer", async () => {
    const e = await start();
    const ok = await record(e, ["Supported: timer", "Session-Expires: 1800", "Min-SE: 90"]);
    expect(ok.headers.get("session-expires")).toBe("1800;refresher=uac");
    expect(ok.headerAll("require")).toContain("timer");
    expect(e.srs.sessions()).toHaveLength(1);
  });

  it("refuses a Session-Expires below 90 s with 422 and Min-SE, and records nothing", async () => {
    const e = await start();
    const refused = await invite(e, ["Supported: timer", "Session-Expires: 60"]);
    expect(refused.status).toBe(422);
    expect(refused.headers.get("min-se")).toBe("90");
    expect(e.srs.sessions()).toHaveLength(0);
  });

  it("sends BYE to the SRC and ends the recording session-expired when the SRC stops refreshing", async () => {
    const e = await start();
    const ok = await record(e, ["Supported: timer", "Session-Expires: 90;refresher=uac"]);
    const callId = e.srs.sessions()[0]?.call.callId ?? "";
    e.clock.advance(59_000);
    expect(e.completed).toEqual([]);
    e.clock.advance(1_000);
    const bye = await e.src.nextRequest("BYE");
    expect(bye.callId).toBe("rec-1@127.0.0.1");
    expect(bye.from?.tag).toBe(ok.to?.tag);
    expect(bye.to?.tag).toBe("sbc-1");
    expect(bye.uri).toBe(`sip:sbc@127.0.0.1:${e.src.port}`);
    e.src.reply(bye, 200);
    expect(e.completed).toEqual([{ callId, reason: "session-expired" }]);
    expect(e.stopped).toEqual(["session-expired"]);
    expect(e.spool.getCall(callId)?.reason).toBe("session-expired");
    expect(e.srs.sessions()).toHaveLength(0);
    expect(expiredLogs(e)).toMatchObject([
      { level: "warn", cause: "session-expired", callId, sipCallId: "rec-1@127.0.0.1", sessionExpiresS: 90 },
    ]);
  });

  it("keeps recording while the SRC refreshes with re-INVITE, each refresh restarting the timer", async () => {
    const e = await start();
    const ok = await record(e, ["Supported: timer", "Session-Expires: 90;refresher=uac"]);
    const toTag = ok.to?.tag ?? "";
    e.clock.advance(50_000);
    const timer = ["Supported: timer", "Session-Expires: 90;refresher=uac"];
    e.src.send(srcRequest(e, { method: "INVITE", cseq: 2, toTag, extra: timer, body: offer }), e.port);
    await e.src.nextResponse();
    const refreshed = await e.src.nextResponse();
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get("session-expires")).toBe("90;refresher=uac");
    expect(refreshed.headerAll("require")).toContain("timer");
    e.src.send(srcRequest(e, { method: "ACK", cseq: 2, toTag }), e.port);
    await optionsPing(e, 101);
    e.clock.advance(59_000);
    await optionsPing(e, 102);
    expect(e.completed).toEqual([]);
    expect(e.srs.sessions()).toHaveLength(1);
    e.clock.advance(1_000);
    await e.src.nextRequest("BYE");
    expect(e.completed.map((c) => c.reason)).toEqual(["session-expired"]);
  });

  it("as refresher, re-INVITEs the SRC with its SDP answer and ends session-expired once the SRC answers 481", async () => {
    const e = await start();
    const ok = await record(e, ["Supported: timer", "Session-Expires: 90;refresher=uas"]);
    expect(ok.headers.get("session-expires")).toBe("90;refresher=uas");
    e.clock.advance(45_000);
    const first = await e.src.nextRequest("INVITE");
    expect(first.bodyText).toBe(ok.bodyText);
    expect(first.headers.get("session-expires")).toBe("90;refresher=uac");
    e.src.reply(first, 200, {
      headers: { "Session-Expires": "90;refresher=uac", Require: "timer" },
      body: offer,
      contentType: "application/sdp",
    });
    await e.src.nextRequest("ACK");
    expect(e.srs.sessions()).toHaveLength(1);
    e.clock.advance(45_000);
    const second = await e.src.nextRequest("INVITE");
    e.src.reply(second, 481);
    await e.src.nextRequest("ACK");
    await optionsPing(e, 103);
    expect(e.completed.map((c) => c.reason)).toEqual(["session-expired"]);
    expect(expiredLogs(e)).toMatchObject([{ cause: "gone", refresher: "srs" }]);
  });
});
