import { describe, expect, it } from "vitest";
import { InvalidStateError } from "../../../../src/lib/index.ts";
import { type SipTarget, TargetSet, type TargetStatus } from "../../../../src/sip/resolve/index.ts";
import { ManualClock } from "../../../helpers/manual-clock.ts";

const target = (address: string, port = 5060, transport: SipTarget["transport"] = "udp"): SipTarget => ({
  transport,
  address,
  port,
  host: `srs-${address}.test`,
  domain: "srs.test",
});
const first = target("127.0.0.11");
const second = target("127.0.0.12");
const third = target("127.0.0.13");

function setUp(targets: SipTarget[] = [first, second, third]) {
  const clock = new ManualClock(1_000);
  const set = new TargetSet(targets, { clock, backoff: { initialMs: 1_000, maxMs: 4_000 } });
  const events: string[] = [];
  const record = (name: string) => (status: TargetStatus) => events.push(`${name} ${status.target.address}`);
  set.on("targetdown", record("down")).on("targetretry", record("retry")).on("targetup", record("up"));
  return { clock, set, events };
}

/** Walks the set as a client does: first target, then next after each one. */
function walk(set: TargetSet): string[] {
  const order: string[] = [];
  for (let t = set.next(); t; t = set.next(t)) order.push(t.address);
  return order;
}

describe("TargetSet (RFC 3263 §4.3 failover)", () => {
  it("offers the targets in resolution order", () => {
    const { set } = setUp();
    expect(walk(set)).toEqual(["127.0.0.11", "127.0.0.12", "127.0.0.13"]);
    expect(set.size).toBe(3);
  });

  it("moves on to the next target after a 503, and skips the failed one from then on", () => {
    const { set, events } = setUp();
    const tried = set.next();
    expect(tried).toEqual(first);
    const status = set.markFailed(first, { reason: "unavailable", status: 503 });
    expect(status).toMatchObject({ state: "down", failures: 1, retryAt: 2_000 });
    expect(set.next(first)).toEqual(second);
    expect(walk(set)).toEqual(["127.0.0.12", "127.0.0.13"]);
    expect(events).toEqual(["down 127.0.0.11"]);
  });

  it("has nothing to offer when every target is down, and says when the first comes back", () => {
    const { set, clock } = setUp();
    set.markFailed(first, { reason: "timeout", status: 408 });
    clock.advance(300);
    set.markFailed(second, { reason: "transport", detail: "ECONNREFUSED" });
    set.markFailed(third, { reason: "unavailable", status: 503, retryAfterMs: 30_000 });
    expect(set.next()).toBeUndefined();
    expect(set.candidates()).toEqual([]);
    expect(set.nextRetryAt()).toBe(2_000);
  });

  it("offers a failed target again, in its original place, once its backoff has passed", () => {
    const { set, clock, events } = setUp();
    set.markFailed(first, { reason: "timeout" });
    clock.advance(999);
    expect(walk(set)).toEqual(["127.0.0.12", "127.0.0.13"]);
    clock.advance(1);
    expect(events).toEqual(["down 127.0.0.11", "retry 127.0.0.11"]);
    expect(walk(set)).toEqual(["127.0.0.11", "127.0.0.12", "127.0.0.13"]);
    expect(set.status()[0]).toMatchObject({ state: "retry", failures: 1, retryAt: undefined });
  });

  it("honours a 503's Retry-After instead of the backoff", () => {
    const { set, clock } = setUp();
    set.markFailed(first, { reason: "unavailable", status: 503, retryAfterMs: 60_000 });
    clock.advance(59_999);
    expect(set.candidates()).not.toContainEqual(first);
    clock.advance(1);
    expect(set.candidates()[0]).toEqual(first);
  });

  it("doubles the backoff for each outage in a row, up to the maximum", () => {
    const { set, clock } = setUp();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const status = set.markFailed(first, { reason: "transport" });
      const delay = (status?.retryAt ?? 0) - clock.now();
      delays.push(delay);
      clock.advance(delay);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 4_000]);
  });

  it("counts failures reported while already down as the same outage", () => {
    const { set, clock, events } = setUp();
    set.markFailed(first, { reason: "timeout" });
    clock.advance(500);
    const again = set.markFailed(first, { reason: "timeout" });
    expect(again).toMatchObject({ failures: 1, retryAt: 2_500 });
    expect(events).toEqual(["down 127.0.0.11"]);
  });

  it("reports a target up again after it answers, and restarts its backoff", () => {
    const { set, clock, events } = setUp();
    set.markFailed(first, { reason: "transport" });
    clock.advance(1_000);
    set.markFailed(first, { reason: "transport" });
    clock.advance(2_000);
    expect(set.markSucceeded(first)).toMatchObject({ state: "up", failures: 0, lastFailure: undefined });
    expect(events.at(-1)).toBe("up 127.0.0.11");
    expect(set.markFailed(first, { reason: "transport" })?.retryAt).toBe(clock.now() + 1_000);
  });

  it("does not report a target up that never failed", () => {
    const { set, events } = setUp();
    set.markSucceeded(first);
    expect(events).toEqual([]);
  });

  it("keeps what it knows about targets that a new resolution returns again", () => {
    const { set, clock } = setUp();
    set.markFailed(second, { reason: "unavailable", status: 503 });
    set.markFailed(third, { reason: "unavailable", status: 503 });
    const fourth = target("127.0.0.14");
    set.update([fourth, second, first]);
    expect(walk(set)).toEqual(["127.0.0.14", "127.0.0.11"]);
    expect(set.markFailed(third, { reason: "transport" })).toBeUndefined();
    clock.advance(1_000);
    expect(walk(set)).toEqual(["127.0.0.14", "127.0.0.12", "127.0.0.11"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("tells targets apart by transport and port, not only address", () => {
    const tls = target("127.0.0.11", 5061, "tls");
    const { set } = setUp([tls, first]);
    set.markFailed(tls, { reason: "transport" });
    expect(walk(set)).toEqual(["127.0.0.11"]);
    expect(set.next()).toEqual(first);
  });

  it("cancels its timers on close and refuses to be used afterwards", () => {
    const { set, clock } = setUp();
    set.markFailed(first, { reason: "transport" });
    expect(clock.pendingTimers).toBe(1);
    set.close();
    set.close();
    expect(clock.pendingTimers).toBe(0);
    expect(() => set.markFailed(second, { reason: "transport" })).toThrow(InvalidStateError);
    expect(() => set.update([first])).toThrow(InvalidStateError);
  });
});
