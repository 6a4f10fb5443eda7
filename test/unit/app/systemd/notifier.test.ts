import { describe, expect, it } from "vitest";
import { SystemdNotifier, statusLine, watchdogIntervalMs } from "../../../../src/app/systemd/index.ts";
import { ManualClock } from "../../../helpers/manual-clock.ts";

function notifierWith(env: Record<string, string | undefined>, statusText?: () => string) {
  const clock = new ManualClock();
  const sent: string[] = [];
  const notifier = new SystemdNotifier({
    send: (state) => sent.push(state) > 0,
    env,
    pid: 4242,
    clock,
    ...(statusText ? { statusLine: statusText } : {}),
  });
  return { notifier, clock, sent };
}

describe("SystemdNotifier", () => {
  it("pings WATCHDOG=1 every half of WATCHDOG_USEC once ready, and stops on close", () => {
    const { notifier, clock, sent } = notifierWith({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "4242" });
    clock.advance(60_000);
    expect(sent).toEqual([]);
    notifier.ready();
    clock.advance(45_000);
    expect(sent).toEqual(["READY=1", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"]);
    notifier.close();
    clock.advance(60_000);
    expect(sent).toHaveLength(5);
    expect(clock.pendingTimers).toBe(0);
  });

  it("does not ping when the watchdog is meant for another PID or WATCHDOG_USEC is absent", () => {
    for (const env of [{ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" }, {}, { WATCHDOG_USEC: "soon" }]) {
      const { notifier, clock, sent } = notifierWith(env);
      notifier.ready();
      clock.advance(60_000);
      expect(notifier.watchdogEnabled).toBe(false);
      expect(sent).toEqual(["READY=1"]);
    }
  });

  it("sends the status line with READY=1 and then every 10 s until stopping", () => {
    let calls = 0;
    const { notifier, clock, sent } = notifierWith({}, () => `${calls} calls`);
    notifier.ready();
    calls = 12;
    clock.advance(20_000);
    notifier.stopping("draining\nsinks");
    clock.advance(20_000);
    expect(sent).toEqual([
      "READY=1\nSTATUS=0 calls",
      "STATUS=12 calls",
      "STATUS=12 calls",
      "STOPPING=1\nSTATUS=draining sinks",
    ]);
  });

  it("keeps feeding the watchdog while stopping", () => {
    const { notifier, clock, sent } = notifierWith({ WATCHDOG_USEC: "2000000" });
    notifier.ready();
    notifier.stopping();
    clock.advance(1000);
    expect(sent).toEqual(["READY=1", "WATCHDOG=1", "STOPPING=1", "WATCHDOG=1"]);
    notifier.close();
  });
});

describe("watchdogIntervalMs", () => {
  it("is half of WATCHDOG_USEC in ms when the watchdog is ours", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 7)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "7" }, 7)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "0" }, 7)).toBeUndefined();
  });
});

describe("statusLine", () => {
  it("reads like `12 calls, spool 3.1 GiB of 20.0 GiB`", () => {
    expect(statusLine({ activeCalls: 12, spoolBytes: 3.1 * 1024 ** 3, spoolMaxBytes: 20 * 1024 ** 3 })).toBe(
      "12 calls, spool 3.1 GiB of 20.0 GiB",
    );
    expect(statusLine({ activeCalls: 1, spoolBytes: 0, spoolMaxBytes: 1024 })).toBe(
      "1 call, spool 0 B of 1.0 KiB",
    );
  });
});
