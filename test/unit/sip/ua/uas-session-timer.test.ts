import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  buildResponse,
  type DialogEvents,
  type IncomingRequest,
  type SessionDialog,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipStackOptions,
  SipStreamParser,
  serializeMessage,
} from "../../../../src/sip/index.ts";
import { answerSdp, offerSdp, openRawUas, type RawUas, startUac, type UacEnv } from "../raw-uas.ts";
import { openTcpPeer } from "../sip-test-peer.ts";

/** The stack under test answers as UAS; `src` plays the SRC (SBC) on a raw UDP socket. */
let env: UacEnv;
let src: RawUas;
let dialogs: SessionDialog[];
let handled: string[];

afterEach(async () => {
  await src?.close();
  await env?.stack.close();
});

/** Fields of a request the SRC sends; defaults make the initial INVITE of call `st-1`. */
interface SrcRequest {
  method?: string;
  cseq?: number;
  toTag?: string;
  branch?: string;
  extra?: string[];
  body?: string;
  viaPort?: number;
  contactPort?: number;
  transport?: "UDP" | "TCP";
}

function srcRequest(spec: SrcRequest = {}): string {
  const method = spec.method ?? "INVITE";
  const cseq = spec.cseq ?? 1;
  const body = spec.body ?? (method === "INVITE" ? offerSdp : "");
  const port = spec.viaPort ?? src.port;
  const transport = spec.transport ?? "UDP";
  return [
    `${method} sip:srs@127.0.0.1:${env.port} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=${spec.branch ?? `z9hG4bK-src-${method}-${cseq}`};rport`,
    "Max-Forwards: 70",
    "From: <sip:src@127.0.0.1>;tag=src-1",
    `To: <sip:srs@127.0.0.1>${spec.toTag ? `;tag=${spec.toTag}` : ""}`,
    "Call-ID: st-1@127.0.0.1",
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:src@127.0.0.1:${spec.contactPort ?? port}${transport === "TCP" ? ";transport=tcp" : ""}>`,
    ...(spec.extra ?? []),
    ...(body === "" ? [] : ["Content-Type: application/sdp"]),
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}

/** Starts the stack with handlers that answer INVITE/re-INVITE 200 with SDP and UPDATE 200. */
async function start(options: Partial<SipStackOptions> = {}): Promise<void> {
  env = await startUac(["udp"], options);
  src = await openRawUas();
  dialogs = [];
  handled = [];
  env.stack.onRequest("INVITE", (req: IncomingRequest) => {
    handled.push(req.dialog ? "re-INVITE" : "INVITE");
    const dialog = req.reply(200, undefined, {
      body: answerSdp,
      contentType: "application/sdp",
      headers: { Contact: `<sip:srs@127.0.0.1:${env.port}>` },
    });
    if (dialog && !req.dialog) dialogs.push(dialog);
  });
  env.stack.onRequest("UPDATE", (req) => {
    handled.push("UPDATE");
    req.reply(200);
  });
  env.stack.onRequest("OPTIONS", (req) => {
    req.reply(200);
  });
}

/** Sends the SRC's INVITE with `extra` headers and returns the final response (and the dialog on 2xx). */
async function invite(
  extra: string[],
): Promise<{ response: SipResponse; dialog: SessionDialog | undefined }> {
  src.send(srcRequest({ extra }), env.port);
  expect((await src.nextResponse()).status).toBe(100);
  const response = await src.nextResponse();
  return { response, dialog: dialogs[0] };
}

/** Establishes the call (INVITE, 200, ACK) and returns the dialog and the 200. */
async function establish(extra: string[]): Promise<{ dialog: SessionDialog; ok: SipResponse }> {
  const { response, dialog } = await invite(extra);
  expect(response.status).toBe(200);
  if (!dialog) throw new Error("no dialog");
  src.send(srcRequest({ method: "ACK", toTag: dialog.localTag, body: "" }), env.port);
  await untilConfirmed(dialog);
  return { dialog, ok: response };
}

async function untilConfirmed(dialog: SessionDialog): Promise<void> {
  if (dialog.state === "confirmed") return;
  await new Promise<void>((resolve) => dialog.once("confirmed", () => resolve()));
}

function nextEvent<K extends keyof DialogEvents & string>(
  dialog: SessionDialog,
  event: K,
): Promise<DialogEvents[K]> {
  return new Promise((resolve) => dialog.once(event, (...args: DialogEvents[K]) => resolve(args)));
}

/** An in-dialog OPTIONS from the SRC; its 200 proves nothing else was sent to the SRC before it. */
async function probe(dialog: SessionDialog, cseq: number): Promise<SipResponse> {
  src.send(srcRequest({ method: "OPTIONS", cseq, toTag: dialog.localTag }), env.port);
  return src.nextResponse();
}

describe("UAS session timer negotiation (RFC 4028 §9)", () => {
  it("answers Session-Expires with the SRC's interval, refresher=uac when left open, and Require: timer", async () => {
    await start();
    const { dialog, ok } = await establish(["Supported: timer", "Session-Expires: 1800", "Min-SE: 90"]);
    expect(ok.headers.get("session-expires")).toBe("1800;refresher=uac");
    expect(ok.headerAll("require")).toContain("timer");
    expect(dialog.sessionTimer).toEqual({ intervalS: 1800, refresher: "remote" });
  });

  it("keeps the refresher the SRC chose", async () => {
    await start();
    const { dialog, ok } = await establish(["Supported: timer", "Session-Expires: 600;refresher=uas"]);
    expect(ok.headers.get("session-expires")).toBe("600;refresher=uas");
    expect(ok.headerAll("require")).toContain("timer");
    expect(dialog.sessionTimer).toEqual({ intervalS: 600, refresher: "local" });
  });

  it("takes the refreshes itself, without Require: timer, when the SRC does not support timers", async () => {
    await start();
    const { dialog, ok } = await establish(["Session-Expires: 1800"]);
    expect(ok.headers.get("session-expires")).toBe("1800;refresher=uas");
    expect(ok.headers.get("require")).toBeUndefined();
    expect(dialog.sessionTimer).toEqual({ intervalS: 1800, refresher: "local" });
  });

  it("refuses a Session-Expires below Min-SE with 422 and Min-SE, before the handler runs", async () => {
    await start();
    const { response } = await invite(["Supported: timer", "Session-Expires: 60"]);
    expect(response.status).toBe(422);
    expect(response.headers.get("min-se")).toBe("90");
    expect(handled).toEqual([]);
  });

  it("refuses below a configured Min-SE and accepts at it", async () => {
    await start({ sessionTimer: { minSeS: 300 } });
    const { response } = await invite(["Supported: timer", "Session-Expires: 120"]);
    expect(response.status).toBe(422);
    expect(response.headers.get("min-se")).toBe("300");
    const ack = { method: "ACK", branch: "z9hG4bK-src-INVITE-1", toTag: response.to?.tag ?? "", body: "" };
    src.send(srcRequest(ack), env.port);
    src.send(
      srcRequest({
        cseq: 2,
        branch: "z9hG4bK-src-retry",
        extra: ["Supported: timer", "Session-Expires: 300"],
      }),
      env.port,
    );
    await src.nextResponse();
    const ok = await src.nextResponse();
    expect(ok.status).toBe(200);
    expect(ok.headers.get("session-expires")).toBe("300;refresher=uac");
  });

  it("raises a too small Session-Expires of an SRC without timer support instead of refusing it", async () => {
    await start();
    const { dialog, ok } = await establish(["Session-Expires: 30"]);
    expect(ok.headers.get("session-expires")).toBe("90;refresher=uas");
    expect(dialog.sessionTimer).toEqual({ intervalS: 90, refresher: "local" });
  });

  it("runs no session timer for an INVITE without Session-Expires, or when disabled", async () => {
    await start();
    const { dialog, ok } = await establish(["Supported: timer"]);
    expect(ok.headers.get("session-expires")).toBeUndefined();
    expect(dialog.sessionTimer).toBeUndefined();
    await env.stack.close();
    await src.close();
    await start({ sessionTimer: false });
    const off = await establish(["Supported: timer", "Session-Expires: 60"]);
    expect(off.ok.headers.get("session-expires")).toBeUndefined();
    expect(off.dialog.sessionTimer).toBeUndefined();
  });
});

describe("UAS session timer: the SRC refreshes (RFC 4028 §10)", () => {
  it("sends BYE to the SRC's Contact at interval − min(32 s, interval/3) without refresh, ending session-expired", async () => {
    await start();
    const { dialog } = await establish(["Supported: timer", "Session-Expires: 90;refresher=uac"]);
    const terminated = nextEvent(dialog, "terminated");
    env.clock.advance(59_000);
    expect((await probe(dialog, 2)).status).toBe(200);
    env.clock.advance(1_000);
    const bye = await src.nextRequest("BYE");
    expect(bye.uri).toBe(`sip:src@127.0.0.1:${src.port}`);
    expect(bye.from?.tag).toBe(dialog.localTag);
    expect(bye.to?.tag).toBe("src-1");
    expect(bye.callId).toBe("st-1@127.0.0.1");
    expect(bye.cseq).toEqual({ seq: 1, method: "BYE" });
    expect(await terminated).toEqual(["session-expired"]);
    src.reply(bye, 200);
  });

  it("restarts the timer on each re-INVITE or UPDATE refresh, answering it with the session-timer headers", async () => {
    await start();
    const { dialog } = await establish(["Supported: timer", "Session-Expires: 90;refresher=uac"]);
    env.clock.advance(45_000);
    const refreshed = nextEvent(dialog, "refreshed");
    const timerHeaders = ["Supported: timer", "Session-Expires: 90;refresher=uac"];
    src.send(srcRequest({ cseq: 2, toTag: dialog.localTag, extra: timerHeaders }), env.port);
    await src.nextResponse();
    const ok = await src.nextResponse();
    expect(ok.status).toBe(200);
    expect(ok.headers.get("session-expires")).toBe("90;refresher=uac");
    expect(ok.headerAll("require")).toContain("timer");
    expect(await refreshed).toEqual(["remote", { intervalS: 90, refresher: "remote" }]);
    src.send(srcRequest({ method: "ACK", cseq: 2, toTag: dialog.localTag, body: "" }), env.port);
    expect((await probe(dialog, 3)).status).toBe(200);
    env.clock.advance(45_000);
    src.send(
      srcRequest({ method: "UPDATE", cseq: 4, toTag: dialog.localTag, extra: timerHeaders }),
      env.port,
    );
    const updated = await src.nextResponse();
    expect(updated.status).toBe(200);
    expect(updated.headers.get("session-expires")).toBe("90;refresher=uac");
    env.clock.advance(59_000);
    expect((await probe(dialog, 5)).status).toBe(200);
    expect(dialog.state).toBe("confirmed");
    expect(handled).toEqual(["INVITE", "re-INVITE", "UPDATE"]);
    env.clock.advance(1_000);
    expect((await src.nextRequest("BYE")).cseq).toEqual({ seq: 1, method: "BYE" });
  });

  it("refuses a refresh below Min-SE with 422 and keeps the running timer", async () => {
    await start();
    const { dialog } = await establish(["Supported: timer", "Session-Expires: 90"]);
    src.send(
      srcRequest({ cseq: 2, toTag: dialog.localTag, extra: ["Supported: timer", "Session-Expires: 30"] }),
      env.port,
    );
    await src.nextResponse();
    expect((await src.nextResponse()).status).toBe(422);
    expect(dialog.sessionTimer).toEqual({ intervalS: 90, refresher: "remote" });
    expect(handled).toEqual(["INVITE"]);
  });
});

describe("UAS session timer: we refresh (RFC 4028 §10)", () => {
  it("sends a re-INVITE with our SDP answer at half the interval and ACKs its 200", async () => {
    await start();
    const { dialog } = await establish(["Supported: timer", "Session-Expires: 90;refresher=uas"]);
    env.clock.advance(44_000);
    expect((await probe(dialog, 2)).status).toBe(200);
    const refreshed = nextEvent(dialog, "refreshed");
    env.clock.advance(1_000);
    const reinvite = await src.nextRequest("INVITE");
    expect(reinvite.uri).toBe(`sip:src@127.0.0.1:${src.port}`);
    expect(reinvite.bodyText).toBe(answerSdp);
    expect(reinvite.headers.get("session-expires")).toBe("90;refresher=uac");
    expect(reinvite.cseq).toEqual({ seq: 1, method: "INVITE" });
    expect(reinvite.to?.tag).toBe("src-1");
    src.reply(reinvite, 200, {
      headers: { "Session-Expires": "90;refresher=uac", Require: "timer" },
      body: offerSdp,
      contentType: "application/sdp",
    });
    expect((await src.nextRequest("ACK")).cseq).toEqual({ seq: 1, method: "ACK" });
    expect(await refreshed).toEqual(["local", { intervalS: 90, refresher: "local" }]);
  });

  it("refreshes with a bodiless UPDATE when the SRC allows UPDATE", async () => {
    await start();
    const { dialog } = await establish([
      "Supported: timer",
      "Allow: INVITE, ACK, BYE, CANCEL, UPDATE",
      "Session-Expires: 120;refresher=uas",
    ]);
    env.clock.advance(60_000);
    const update = await src.nextRequest("UPDATE");
    expect(update.body.length).toBe(0);
    expect(update.headers.get("session-expires")).toBe("120;refresher=uac");
    const refreshed = nextEvent(dialog, "refreshed");
    src.reply(update, 200, { headers: { "Session-Expires": "120;refresher=uac" } });
    expect(await refreshed).toEqual(["local", { intervalS: 120, refresher: "local" }]);
  });

  it("sends BYE and ends with refresh-failed when the SRC answers its refresh 408", async () => {
    await start();
    const { dialog } = await establish(["Supported: timer", "Session-Expires: 90;refresher=uas"]);
    const terminated = nextEvent(dialog, "terminated");
    env.clock.advance(45_000);
    const reinvite = await src.nextRequest("INVITE");
    src.reply(reinvite, 408);
    await src.nextRequest("ACK");
    const bye = await src.nextRequest("BYE");
    expect(bye.cseq).toEqual({ seq: 2, method: "BYE" });
    expect(await terminated).toEqual(["refresh-failed"]);
  });

  it("keeps refreshing an SRC without timer support whose 200 carries no Session-Expires", async () => {
    await start();
    const { dialog } = await establish(["Session-Expires: 90"]);
    env.clock.advance(45_000);
    const first = await src.nextRequest("INVITE");
    const refreshed = nextEvent(dialog, "refreshed");
    src.reply(first, 200, { body: offerSdp, contentType: "application/sdp" });
    await src.nextRequest("ACK");
    await refreshed;
    expect(dialog.sessionTimer).toEqual({ intervalS: 90, refresher: "local" });
    env.clock.advance(45_000);
    expect((await src.nextRequest("INVITE")).cseq).toEqual({ seq: 2, method: "INVITE" });
  });
});

describe("UAS dialog requests (RFC 3261 §12.1.1, §12.2.1.1)", () => {
  it("sends BYE through the route set of the INVITE's Record-Route, to the remote target", async () => {
    await start();
    const route = `<sip:127.0.0.1:${await openRawUasPort()};lr>`;
    const { dialog } = await establish([
      `Record-Route: <sip:127.0.0.1:${src.port};lr>`,
      `Record-Route: ${route}`,
    ]);
    expect(dialog.routeSet).toEqual([`<sip:127.0.0.1:${src.port};lr>`, route]);
    const ended = nextEvent(dialog, "terminated");
    const answered = dialog.bye();
    const bye = await src.nextRequest("BYE");
    expect(bye.headerAll("route")).toEqual([`<sip:127.0.0.1:${src.port};lr>`, route]);
    expect(bye.uri).toBe(`sip:src@127.0.0.1:${src.port}`);
    expect(await ended).toEqual(["local-bye"]);
    src.reply(bye, 200);
    expect((await answered).status).toBe(200);
  });

  it("sends requests with increasing CSeq and refuses the SRC's requests whose CSeq went backwards", async () => {
    await start();
    const { dialog } = await establish([]);
    const info = dialog.request("INFO");
    const first = await src.nextRequest("INFO");
    src.reply(first, 200);
    expect((await info).status).toBe(200);
    const second = dialog.request("OPTIONS");
    const options = await src.nextRequest("OPTIONS");
    expect([first.cseq?.seq, options.cseq?.seq]).toEqual([1, 2]);
    src.reply(options, 200);
    await second;
    expect((await probe(dialog, 5)).status).toBe(200);
    expect((await probe(dialog, 4)).status).toBe(500);
  });

  it("sends over the TCP connection the INVITE came on", async () => {
    env = await startUac(["tcp"]);
    src = await openRawUas();
    dialogs = [];
    env.stack.onRequest("INVITE", (req) => {
      const dialog = req.reply(200, undefined, { body: answerSdp, contentType: "application/sdp" });
      if (dialog) dialogs.push(dialog);
    });
    const tcp = await openTcpPeer(env.port);
    try {
      tcp.send(
        srcRequest({
          transport: "TCP",
          viaPort: tcp.port,
          extra: ["Session-Expires: 90;refresher=uac", "Supported: timer"],
        }),
      );
      let ok = await tcp.nextResponse();
      if (ok.status === 100) ok = await tcp.nextResponse();
      expect(ok.status).toBe(200);
      const dialog = dialogs[0] as SessionDialog;
      tcp.send(
        srcRequest({ method: "ACK", transport: "TCP", viaPort: tcp.port, toTag: dialog.localTag, body: "" }),
      );
      await untilConfirmed(dialog);
      env.clock.advance(60_000);
      const bye = (await tcp.next()) as SipRequest;
      expect(bye.method).toBe("BYE");
      tcp.send(serializeMessage(buildResponse(bye, 200)));
    } finally {
      await tcp.close();
    }
  });

  it("sends to the SRC's Contact over a new connection once the INVITE's connection has closed", async () => {
    env = await startUac(["tcp"]);
    src = await openRawUas();
    dialogs = [];
    env.stack.onRequest("INVITE", (req) => {
      const dialog = req.reply(200, undefined, { body: answerSdp, contentType: "application/sdp" });
      if (dialog) dialogs.push(dialog);
    });
    const contact = await openTcpListener();
    const tcp = await openTcpPeer(env.port);
    try {
      tcp.send(srcRequest({ transport: "TCP", viaPort: tcp.port, contactPort: contact.port }));
      let ok = await tcp.nextResponse();
      if (ok.status === 100) ok = await tcp.nextResponse();
      expect(ok.status).toBe(200);
      const dialog = dialogs[0] as SessionDialog;
      const ack = {
        method: "ACK",
        transport: "TCP" as const,
        viaPort: tcp.port,
        toTag: dialog.localTag,
        body: "",
      };
      tcp.send(srcRequest(ack));
      await untilConfirmed(dialog);
      await tcp.close();
      void dialog.bye();
      const bye = (await contact.next()) as SipRequest;
      expect(bye.method).toBe("BYE");
      expect(bye.uri).toBe(`sip:src@127.0.0.1:${contact.port};transport=tcp`);
    } finally {
      await contact.close();
    }
  });
});

/** A TCP listener on 127.0.0.1 that collects the SIP messages it receives. */
async function openTcpListener(): Promise<{
  port: number;
  next: () => Promise<SipMessage>;
  close: () => Promise<void>;
}> {
  const received: SipMessage[] = [];
  const waiters: Array<(message: SipMessage) => void> = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const parser = new SipStreamParser();
    socket.on("data", (chunk: Buffer) => {
      for (const message of parser.push(chunk)) {
        const waiter = waiters.shift();
        if (waiter) waiter(message);
        else received.push(message);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    next: () => {
      const queued = received.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nobody answers on (the second route hop is never contacted: only the first route is the next hop). */
async function openRawUasPort(): Promise<number> {
  const other = await openRawUas();
  const port = other.port;
  await other.close();
  return port;
}
