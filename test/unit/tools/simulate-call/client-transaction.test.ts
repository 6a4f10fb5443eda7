import { describe, expect, it } from "vitest";
import { SipHeaderList, SipRequest, SipResponse } from "../../../../src/sip/index.ts";
import { defaultUacTimers, UacTransaction } from "../../../../src/tools/simulate-call/client-transaction.ts";
import type { SipChannel } from "../../../../src/tools/simulate-call/sip-channel.ts";
import { ManualClock } from "../../../helpers/manual-clock.ts";

/** A channel that records when each request went out. */
function recordingChannel(clock: ManualClock, viaTransport: "UDP" | "TCP" = "UDP") {
  const sentAt: number[] = [];
  const channel: SipChannel = {
    viaTransport,
    localAddress: "127.0.0.1",
    localPort: 5070,
    send: () => {
      sentAt.push(clock.now());
      return true;
    },
    close: () => {},
  };
  return { channel, sentAt };
}

function request(method: string): SipRequest {
  const headers = new SipHeaderList([
    ["Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKtest1"],
    ["CSeq", `1 ${method}`],
  ]);
  return new SipRequest(method, "sip:srs@127.0.0.1", { headers });
}

const response = (status: number) => new SipResponse(status, "x");

describe("UacTransaction", () => {
  it("retransmits an INVITE with doubling intervals until the first provisional response", async () => {
    const clock = new ManualClock();
    const { channel, sentAt } = recordingChannel(clock);
    const tx = new UacTransaction(channel, request("INVITE"), { clock, timers: defaultUacTimers });
    clock.advance(4000);
    expect(sentAt).toEqual([0, 500, 1500, 3500]);
    tx.receive(response(100));
    clock.advance(20_000);
    expect(sentAt).toHaveLength(4);
    tx.receive(response(200));
    expect((await tx.final)?.status).toBe(200);
    expect(tx.branch).toBe("z9hG4bKtest1");
  });

  it("retransmits a BYE with intervals capped at T2, then every T2 after a provisional response", () => {
    const clock = new ManualClock();
    const { channel, sentAt } = recordingChannel(clock);
    const tx = new UacTransaction(channel, request("BYE"), { clock, timers: defaultUacTimers });
    clock.advance(15_500);
    expect(sentAt).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500]);
    tx.receive(response(100));
    clock.advance(8000);
    expect(sentAt.slice(7)).toEqual([19500, 23500]);
  });

  it("resolves without a response after 64*T1 and sends nothing more over TCP", async () => {
    const clock = new ManualClock();
    const { channel, sentAt } = recordingChannel(clock, "TCP");
    const tx = new UacTransaction(channel, request("INVITE"), { clock, timers: defaultUacTimers });
    clock.advance(31_999);
    let settled = false;
    void tx.final.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await tx.final).toBeUndefined();
    expect(sentAt).toEqual([0]);
    expect(clock.pendingTimers).toBe(0);
  });
});
