import { afterEach, describe, expect, it } from "vitest";
import {
  createSipStack,
  type DialogEvents,
  type SipStack,
  type UacDialog,
} from "../../../../src/sip/index.ts";
import { offerSdp } from "../raw-uas.ts";
import { startSippUas } from "../sipp-uas.ts";

/**
 * Our SIP client side against SIPp 3.6.1 playing the remote SRS (scenarios in ../fixtures/), on the
 * real clock with T1 = 200 ms so a lost first INVITE (SIPp still starting) is retransmitted soon.
 */
let stack: SipStack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function startStack(): Promise<SipStack> {
  stack = createSipStack({ listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }], timers: { t1: 200 } });
  await stack.start();
  return stack;
}

function nextEvent<K extends keyof DialogEvents & string>(
  dialog: UacDialog,
  event: K,
): Promise<DialogEvents[K]> {
  return new Promise((resolve) => dialog.once(event, (...args: DialogEvents[K]) => resolve(args)));
}

describe.each(["udp", "tcp"] as const)("against a SIPp UAS over %s", (transport) => {
  it("answers the SRS's session-refresh re-INVITE (with SDP, Session-Expires, Require: timer) and ends on its BYE", async () => {
    const sipp = await startSippUas("uas-answer-refresh.xml", transport);
    const uac = await startStack();
    const hop = { transport, address: "127.0.0.1", port: sipp.port };
    const { response, dialog } = await uac.invite(hop, {
      uri: `sip:srs@127.0.0.1:${sipp.port};transport=${transport}`,
      body: offerSdp,
      contentType: "application/sdp",
    });
    expect(response.status).toBe(200);
    if (!dialog) throw new Error("no dialog");
    expect(dialog.sessionTimer).toEqual({ intervalS: 1800, refresher: "local" });
    const refreshed = nextEvent(dialog, "refreshed");
    const terminated = nextEvent(dialog, "terminated");
    expect(await refreshed).toEqual(["remote", { intervalS: 1800, refresher: "remote" }]);
    expect(await terminated).toEqual(["bye"]);
    const result = await sipp.done;
    expect(result.exitCode, result.errors).toBe(0);
  });

  it("ACKs a 486 in the INVITE transaction", async () => {
    const sipp = await startSippUas("uas-busy.xml", transport);
    const uac = await startStack();
    const hop = { transport, address: "127.0.0.1", port: sipp.port };
    const { response, dialog } = await uac.invite(hop, { uri: `sip:srs@127.0.0.1:${sipp.port}` });
    expect(response.status).toBe(486);
    expect(dialog).toBeUndefined();
    const result = await sipp.done;
    expect(result.exitCode, result.errors).toBe(0);
  });

  it("cancels after the 180 and ends with the SRS's 487", async () => {
    const sipp = await startSippUas("uas-cancel.xml", transport);
    const uac = await startStack();
    const hop = { transport, address: "127.0.0.1", port: sipp.port };
    const abort = new AbortController();
    const { response } = await uac.invite(hop, {
      uri: `sip:srs@127.0.0.1:${sipp.port}`,
      signal: abort.signal,
      onProvisional: (res) => {
        if (res.status === 180) abort.abort();
      },
    });
    expect(response.status).toBe(487);
    const result = await sipp.done;
    expect(result.exitCode, result.errors).toBe(0);
  });
});

describe("against a SIPp UAS over tcp", () => {
  it("ACKs the SRS's 200 again when it retransmits it after our ACK (RFC 3261 §13.2.2.4)", async () => {
    const sipp = await startSippUas("uas-2xx-retransmit-tcp.xml", "tcp");
    const uac = await startStack();
    const hop = { transport: "tcp" as const, address: "127.0.0.1", port: sipp.port };
    const { dialog } = await uac.invite(hop, { uri: `sip:srs@127.0.0.1:${sipp.port};transport=tcp` });
    if (!dialog) throw new Error("no dialog");
    expect(await nextEvent(dialog, "terminated")).toEqual(["bye"]);
    const result = await sipp.done;
    expect(result.exitCode, result.errors).toBe(0);
  });
});
