import { afterEach, describe, expect, it } from "vitest";
import { SipStatusError } from "../../../../src/sip/index.ts";
import {
  deferred,
  openUdpPeer,
  requestText,
  type SipTestPeer,
  startStack,
  type TestStack,
} from "../sip-test-peer.ts";

let env: TestStack;
let peer: SipTestPeer;

afterEach(async () => {
  await peer.close();
  await env.stack.close();
});

async function setup(): Promise<void> {
  env = await startStack("udp");
  peer = await openUdpPeer(env.port);
}

/** Sends an OPTIONS (no handler → 405) and returns the status of the next message: proves nothing else came first. */
async function probe(): Promise<number> {
  peer.send(requestText({ method: "OPTIONS", port: peer.port, branch: "z9hG4bK-probe", callId: "probe" }));
  return (await peer.nextResponse()).status;
}

describe("INVITE server transaction (RFC 3261 §17.2.1)", () => {
  it("answers 100 Trying at once, before the handler replies", async () => {
    await setup();
    const release = deferred();
    env.stack.onRequest("INVITE", async (req) => {
      await release.promise;
      req.reply(486);
    });
    peer.send(requestText({ method: "INVITE", port: peer.port }));
    const trying = await peer.nextResponse();
    expect(trying.status).toBe(100);
    expect(trying.to?.tag).toBeUndefined();
    release.resolve();
    expect((await peer.nextResponse()).status).toBe(486);
  });

  it("answers a retransmitted INVITE with the last response and hands it to the handler once", async () => {
    await setup();
    let calls = 0;
    const release = deferred();
    env.stack.onRequest("INVITE", async (req) => {
      calls++;
      req.reply(180);
      await release.promise;
      req.reply(603);
    });
    const invite = requestText({ method: "INVITE", port: peer.port });
    peer.send(invite);
    expect((await peer.nextResponse()).status).toBe(100);
    const ringing = await peer.nextResponse();
    expect(ringing.status).toBe(180);
    peer.send(invite);
    expect((await peer.nextResponse()).status).toBe(180);
    release.resolve();
    expect((await peer.nextResponse()).status).toBe(603);
    peer.send(invite);
    expect((await peer.nextResponse()).status).toBe(603);
    expect(calls).toBe(1);
    expect(env.stack.stats().requestsByMethod.INVITE).toBe(3);
  });

  it("retransmits a non-2xx final with Timer G until the ACK, then absorbs the ACK", async () => {
    await setup();
    env.stack.onRequest("INVITE", () => {
      throw new SipStatusError(486);
    });
    peer.send(requestText({ method: "INVITE", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(100);
    const busy = await peer.nextResponse();
    expect(busy.status).toBe(486);
    env.clock.advance(500);
    expect((await peer.nextResponse()).status).toBe(486);
    env.clock.advance(1000);
    expect((await peer.nextResponse()).status).toBe(486);
    peer.send(requestText({ method: "ACK", port: peer.port, toTag: busy.to?.tag }));
    expect(await probe()).toBe(405);
    env.clock.advance(40_000);
    expect(await probe()).toBe(405);
    expect(env.stack.stats().requestsByMethod.ACK).toBe(1);
  });

  it("gives up after Timer H (64·T1) when no ACK comes: 10 retransmissions, then silence", async () => {
    await setup();
    env.stack.onRequest("INVITE", (req) => {
      req.reply(480);
    });
    peer.send(requestText({ method: "INVITE", port: peer.port }));
    expect((await peer.nextResponse()).status).toBe(100);
    expect((await peer.nextResponse()).status).toBe(480);
    env.clock.advance(64 * 500);
    // Timer G fires at 0.5, 1.5, 3.5, 7.5, 11.5 … 31.5 s (T1 doubling, capped at T2 = 4 s); H at 32 s.
    for (let i = 0; i < 10; i++) expect((await peer.nextResponse()).status).toBe(480);
    env.clock.advance(60_000);
    expect(await probe()).toBe(405);
  });
});

describe("non-INVITE server transaction (RFC 3261 §17.2.2)", () => {
  it("answers a retransmission from the transaction until Timer J, then treats it as new", async () => {
    await setup();
    let calls = 0;
    env.stack.onRequest("OPTIONS", (req) => {
      calls++;
      req.reply(200);
    });
    const options = requestText({ method: "OPTIONS", port: peer.port, branch: "z9hG4bK-opt" });
    peer.send(options);
    expect((await peer.nextResponse()).status).toBe(200);
    peer.send(options);
    expect((await peer.nextResponse()).status).toBe(200);
    expect(calls).toBe(1);
    env.clock.advance(64 * 500);
    peer.send(options);
    expect((await peer.nextResponse()).status).toBe(200);
    expect(calls).toBe(2);
  });

  it("adds a To tag to a final response to an out-of-dialog request", async () => {
    await setup();
    env.stack.onRequest("OPTIONS", (req) => {
      req.reply(200);
    });
    peer.send(requestText({ method: "OPTIONS", port: peer.port }));
    expect((await peer.nextResponse()).to?.tag).toMatch(/^[0-9a-f]+$/);
  });
});
