import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SdNotify, SystemdNotifier } from "../../../../src/app/systemd/index.ts";
import { createLogger } from "../../../../src/lib/index.ts";
import { type NotifyDatagram, NotifyListener, setProcessEnv } from "../../../helpers/notify-listener.ts";

const isMarker = (name: string) => (d: NotifyDatagram) => d.state === `X_TEST=${name}`;

describe("sd_notify on a NOTIFY_SOCKET the test owns", () => {
  let listener: NotifyListener;

  beforeAll(async () => {
    listener = new NotifyListener();
    await listener.listening();
    setProcessEnv("NOTIFY_SOCKET", listener.path);
  });

  afterAll(() => {
    setProcessEnv("NOTIFY_SOCKET", undefined);
    listener.close();
  });

  it("sends READY=1 with STATUS=, STATUS= and STOPPING=1 through libsystemd from our own PID", async () => {
    const sd = new SdNotify();
    expect(sd.transport).toBe("ffi");
    const notifier = new SystemdNotifier({ send: (state) => sd.send(state), env: {} });
    expect(notifier.ready("0 calls, spool 0 B of 20.0 GiB")).toBe(true);
    expect(notifier.status("12 calls, spool 3.1 GiB of 20.0 GiB")).toBe(true);
    expect(notifier.stopping()).toBe(true);
    sd.send("X_TEST=ffi-done");
    await listener.waitFor(isMarker("ffi-done"));
    const start = listener.received.findIndex((d) => d.state.startsWith("READY=1"));
    expect(listener.received.slice(start)).toEqual([
      { pid: process.pid, state: "READY=1\nSTATUS=0 calls, spool 0 B of 20.0 GiB" },
      { pid: process.pid, state: "STATUS=12 calls, spool 3.1 GiB of 20.0 GiB" },
      { pid: process.pid, state: "STOPPING=1" },
      { pid: process.pid, state: "X_TEST=ffi-done" },
    ]);
    notifier.close();
  });

  it("sends no WATCHDOG=1 while the event loop is blocked, and resumes once it turns again", async () => {
    const sd = new SdNotify({ transport: "ffi" });
    const notifier = new SystemdNotifier({
      send: (state) => sd.send(state),
      env: { WATCHDOG_USEC: "100000", WATCHDOG_PID: String(process.pid) },
    });
    notifier.ready();
    await listener.waitFor((d) => d.state === "WATCHDOG=1", 3);

    sd.send("X_TEST=block-start");
    const blockedUntil = performance.now() + 600; // 12 watchdog intervals of 50 ms
    while (performance.now() < blockedUntil) {
      // busy loop: no timer can fire
    }
    sd.send("X_TEST=block-end");
    await listener.waitFor(isMarker("block-end"));
    const endAt = listener.received.findIndex(isMarker("block-end"));
    await listener.waitFor((d) => d.state === "WATCHDOG=1" && listener.received.indexOf(d) > endAt);
    notifier.close();

    const startAt = listener.received.findIndex(isMarker("block-start"));
    expect(listener.received.slice(startAt + 1, endAt)).toEqual([]);
    expect(
      listener.received.slice(0, startAt).filter((d) => d.state === "WATCHDOG=1").length,
    ).toBeGreaterThan(2);
  });

  it("falls back to the systemd-notify CLI when libsystemd cannot be loaded", async () => {
    const sd = new SdNotify({ library: "libsystemd-missing.so.0" });
    expect(sd.transport).toBe("cli");
    expect(sd.send("READY=1\nSTATUS=via the CLI")).toBe(true);
    const [datagram] = await listener.waitFor((d) => d.state.includes("STATUS=via the CLI"));
    expect(datagram?.state).toBe(`MAINPID=${process.pid}\nREADY=1\nSTATUS=via the CLI`);
    await listener.waitFor((d) => d.state === "BARRIER=1"); // systemd-notify waits for the manager
  });

  it("returns false and logs one warning when neither libsystemd nor the CLI works, never throwing", () => {
    const lines: string[] = [];
    const sd = new SdNotify({
      library: "libsystemd-missing.so.0",
      cli: "/nonexistent/systemd-notify",
      logger: createLogger({ write: (line) => lines.push(line) }),
    });
    expect(sd.send("READY=1")).toBe(false);
    expect(sd.send("WATCHDOG=1")).toBe(false);
    expect(lines.filter((line) => JSON.parse(line).level === "warn")).toHaveLength(1);
  });

  it("does nothing and returns false when NOTIFY_SOCKET is unset", async () => {
    const sd = new SdNotify();
    setProcessEnv("NOTIFY_SOCKET", undefined);
    const before = listener.received.length;
    expect(sd.send("READY=1")).toBe(false);
    expect(new SystemdNotifier({ send: (state) => sd.send(state), env: {} }).ready("up")).toBe(false);
    setProcessEnv("NOTIFY_SOCKET", listener.path);
    sd.send("X_TEST=after-unset");
    await listener.waitFor(isMarker("after-unset"));
    expect(listener.received.slice(before).map((d) => d.state)).toEqual(["X_TEST=after-unset"]);
  });
});
