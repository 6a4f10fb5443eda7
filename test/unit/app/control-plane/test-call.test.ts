import { describe, expect, it } from "vitest";
import { createTestCaller, fitSpeech, testCallTarget } from "../../../../src/app/control-plane/test-call.ts";
import { silentLogger, systemClock, TypedEmitter } from "../../../../src/lib/index.ts";
import type { CallRecord } from "../../../../src/spool/index.ts";
import type { SrsObserverEvents } from "../../../../src/srs/index.ts";
import type { SimulateCallOptions } from "../../../../src/tools/index.ts";

describe("testCallTarget", () => {
  it("calls the first UDP listener, on loopback when it listens on every address", () => {
    expect(
      testCallTarget([
        { transport: "tls", host: "0.0.0.0", port: 5061 },
        { transport: "tcp", host: "0.0.0.0", port: 5060 },
        { transport: "udp", host: "0.0.0.0", port: 5060 },
      ]),
    ).toEqual({ transport: "udp", host: "127.0.0.1", port: 5060 });
    expect(testCallTarget([{ transport: "udp", host: "::", port: 5070 }])).toEqual({
      transport: "udp",
      host: "::1",
      port: 5070,
    });
  });

  it("falls back to TCP, and finds nothing to call when only TLS listens", () => {
    expect(testCallTarget([{ transport: "tcp", host: "10.0.0.5", port: 5060 }])).toEqual({
      transport: "tcp",
      host: "10.0.0.5",
      port: 5060,
    });
    expect(testCallTarget([{ transport: "tls", host: "0.0.0.0", port: 5061 }])).toBeUndefined();
    expect(testCallTarget([])).toBeUndefined();
  });
});

describe("fitSpeech", () => {
  it("cuts longer speech and repeats shorter speech to the asked length", () => {
    const speech = Int16Array.from([1, 2, 3]);
    expect(Array.from(fitSpeech(speech, 2))).toEqual([1, 2]);
    expect(Array.from(fitSpeech(speech, 7))).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });
});

function caller(overrides: {
  drainAccepting?: boolean;
  accepting?: boolean;
  place?: (options: SimulateCallOptions) => Promise<never>;
  observer?: TypedEmitter<SrsObserverEvents>;
}) {
  return createTestCaller({
    listening: () => [{ transport: "udp", host: "127.0.0.1", port: 5060 }],
    drainAccepting: () => overrides.drainAccepting ?? true,
    accepting: () => overrides.accepting ?? true,
    srs: { observer: overrides.observer ?? new TypedEmitter<SrsObserverEvents>() },
    ...(overrides.place ? { place: overrides.place } : {}),
    clock: systemClock,
    logger: silentLogger,
  });
}

describe("testCall", () => {
  it("is refused with DRAINING while the appliance drains", async () => {
    await expect(
      caller({ drainAccepting: false, accepting: false }).start({ durationS: 10 }),
    ).rejects.toMatchObject({
      code: "DRAINING",
    });
  });

  it("is refused with UNAVAILABLE while new calls are refused for another reason", async () => {
    await expect(caller({ accepting: false }).start({ durationS: 10 })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
  });

  it("is refused with NO_SIP_LISTENER when only TLS listens", async () => {
    const tlsOnly = createTestCaller({
      listening: () => [{ transport: "tls", host: "0.0.0.0", port: 5061 }],
      drainAccepting: () => true,
      accepting: () => true,
      srs: { observer: new TypedEmitter<SrsObserverEvents>() },
      clock: systemClock,
      logger: silentLogger,
    });
    await expect(tlsOnly.start({ durationS: 10 })).rejects.toMatchObject({ code: "NO_SIP_LISTENER" });
  });

  it("replies with the SIP Call-ID and our call id once answered, and runs one test call at a time", async () => {
    const observer = new TypedEmitter<SrsObserverEvents>();
    let placed: SimulateCallOptions | undefined;
    let hangUp: () => void = () => {};
    const place = (options: SimulateCallOptions): Promise<never> => {
      placed = options;
      options.onInvite?.("abc123@127.0.0.1");
      observer.safeEmit(
        "sessionstarted",
        { callId: "0195-our-id", sipCallId: "abc123@127.0.0.1" } as CallRecord,
        [],
        {
          requestUri: "",
          headers: {},
        } as never,
      );
      return new Promise((_resolve, reject) => {
        hangUp = () => reject(new Error("hung up"));
      });
    };
    const testCaller = caller({ place, observer });
    const reply = await testCaller.start({ durationS: 3 });
    expect(reply).toEqual({
      target: "udp:127.0.0.1:5060",
      durationS: 3,
      sipCallId: "abc123@127.0.0.1",
      sessionId: "0195-our-id",
    });
    expect(placed?.audio.map((a) => a.length)).toEqual([24_000, 24_000]);
    expect(placed?.target).toEqual({ host: "127.0.0.1", port: 5060 });
    expect(testCaller.running).toBe(true);
    await expect(testCaller.start({ durationS: 3 })).rejects.toMatchObject({ code: "REQUEST_PENDING" });
    hangUp();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(testCaller.running).toBe(false);
  });
});
