import { describe, expect, it } from "vitest";
import { Drain, type DrainReport } from "../../../../src/app/control-plane/drain.ts";
import { silentLogger } from "../../../../src/lib/index.ts";
import { ManualClock } from "../../../helpers/manual-clock.ts";

function drainWith(state: { live: number; owed: number }) {
  const clock = new ManualClock();
  const drained: DrainReport[] = [];
  const drain = new Drain({
    liveCalls: () => state.live,
    undeliveredUnits: () => state.owed,
    onDrained: (report) => drained.push(report),
    clock,
    logger: silentLogger,
  });
  return { drain, clock, drained };
}

describe("drain", () => {
  it("refuses new calls at once and reports drained only when live calls and deliveries are finished", () => {
    const state = { live: 2, owed: 3 };
    const { drain, clock, drained } = drainWith(state);
    expect(drain.accepting).toBe(true);
    expect(drain.start()).toMatchObject({
      state: "draining",
      liveCalls: 2,
      undeliveredUnits: 3,
      callsFinished: 0,
    });
    expect(drain.accepting).toBe(false);
    state.live = 0;
    clock.advance(1_000);
    expect(drained).toEqual([]);
    expect(drain.report()).toMatchObject({ state: "draining", callsFinished: 2, undeliveredUnits: 3 });
    state.owed = 0;
    clock.advance(1_000);
    expect(drained).toHaveLength(1);
    expect(drained[0]).toMatchObject({ state: "drained", callsFinished: 2 });
    clock.advance(5_000);
    expect(drained).toHaveLength(1);
    expect(drain.accepting).toBe(false);
  });

  it("is drained at once when nothing is live or owed", () => {
    const { drain, drained } = drainWith({ live: 0, owed: 0 });
    drain.start();
    expect(drained).toHaveLength(1);
    expect(drain.report().state).toBe("drained");
  });

  it("takes calls again when cancelled, and a second start is a no-op while draining", () => {
    const state = { live: 1, owed: 0 };
    const { drain, clock, drained } = drainWith(state);
    const first = drain.start();
    clock.advance(500);
    expect(drain.start().since).toBe(first.since);
    expect(drain.cancel()).toMatchObject({ state: "off", since: null });
    expect(drain.accepting).toBe(true);
    state.live = 0;
    clock.advance(5_000);
    expect(drained).toEqual([]);
  });
});
