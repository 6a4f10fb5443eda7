import { afterEach, describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../../src/sinks/circuit-breaker.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";
import { nextTurn, RecordedCall, testPayload } from "../../helpers/recorded-call.ts";
import { ScriptedReceiver } from "./scripted-receiver.ts";
import { SinkHarness } from "./sink-harness.ts";

describe("circuit breaker", () => {
  it("opens after N consecutive failures, lets one probe through after the cool-down, and closes on success", () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker(3, 1000, clock);
    const woken: string[] = [];
    const wake = (name: string) => () => woken.push(name);
    for (let i = 0; i < 3; i++) {
      expect(breaker.request(wake("x"))).toBe(true);
      breaker.failed();
    }
    expect(breaker.state).toBe("open");
    expect(breaker.request(wake("a"))).toBe(false);
    expect(breaker.request(wake("b"))).toBe(false);
    clock.advance(999);
    expect(woken).toEqual([]);
    clock.advance(1);
    expect({ state: breaker.state, woken }).toEqual({ state: "half-open", woken: ["a"] });
    expect(breaker.request(wake("c"))).toBe(false);
    breaker.failed();
    expect(breaker.state).toBe("open");
    clock.advance(1000);
    expect(woken).toEqual(["a", "b"]);
    breaker.succeeded();
    expect({ state: breaker.state, woken }).toEqual({ state: "closed", woken: ["a", "b", "c"] });
  });

  it("hands the probe to the next waiting unit when the probing unit stops before its result", () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker(1, 1000, clock);
    const woken: string[] = [];
    breaker.failed();
    breaker.request(() => woken.push("a"));
    breaker.request(() => woken.push("b"));
    clock.advance(1000);
    breaker.abandoned();
    expect({ state: breaker.state, woken }).toEqual({ state: "half-open", woken: ["a", "b"] });
  });

  it("counts only consecutive failures: a success in between resets the count", () => {
    const breaker = new CircuitBreaker(2, 1000, new ManualClock());
    breaker.failed();
    breaker.succeeded();
    breaker.failed();
    expect(breaker.state).toBe("closed");
    breaker.failed();
    expect(breaker.state).toBe("open");
  });
});

describe("circuit breaker of a WebSocket sink", () => {
  let harness: SinkHarness;
  let receiver: ScriptedReceiver;

  afterEach(async () => {
    await harness.close();
    await receiver.stop();
  });

  /** Advances the manual clock in `step` ms steps for `ms`, letting sockets run in between. */
  async function run(clock: ManualClock, ms: number, step = 250): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      await nextTurn(5);
    }
  }

  it("stops dialling a refusing receiver for the cool-down, probes once, then connects every unit", async () => {
    harness = new SinkHarness();
    receiver = ScriptedReceiver.start();
    receiver.behaviour.upgrade = 503;
    const clock = new ManualClock(0, Date.now() * 1000);
    const dispatcher = harness.startDispatcher(
      receiver.port,
      { mode: "per-participant", format: "PCMU/8000", circuitBreaker: { failures: 4, coolDownMs: 30_000 } },
      { clock, backoff: { initialMs: 20, maxMs: 100 }, random: () => 0.5 },
    );
    for (let c = 0; c < 3; c++) {
      const call = new RecordedCall(harness.spool, dispatcher, [{ role: "customer", label: "1" }]);
      call.audio(0, testPayload(c, 0));
    }
    harness.spool.flush();
    await run(clock, 2_000, 20);
    expect(dispatcher.status().map((u) => u.state)).toEqual(["circuit-open", "circuit-open", "circuit-open"]);
    const refused = receiver.upgrades;
    expect(refused).toBeGreaterThanOrEqual(4);
    await run(clock, 20_000);
    expect(receiver.upgrades).toBe(refused);

    await run(clock, 10_000);
    expect(receiver.upgrades).toBe(refused + 1);
    expect(dispatcher.status().map((u) => u.state)).toEqual(["circuit-open", "circuit-open", "circuit-open"]);

    receiver.behaviour.upgrade = "accept";
    await run(clock, 30_000);
    expect(receiver.upgrades).toBe(refused + 4);
    expect(dispatcher.status().map((u) => u.state)).toEqual(["open", "open", "open"]);
  });
});
