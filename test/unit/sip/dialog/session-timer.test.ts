import { describe, expect, it } from "vitest";
import { negotiatedTimer, remoteRefreshTerms } from "../../../../src/sip/dialog/session-timer.ts";
import { formatSessionExpires, parseMinSe, parseSessionExpires } from "../../../../src/sip/index.ts";

describe("Session-Expires and Min-SE (RFC 4028 §4, §5)", () => {
  it.each([
    ["1800", { deltaS: 1800 }],
    ["90;refresher=uac", { deltaS: 90, refresher: "uac" }],
    [" 120 ; refresher=UAS", { deltaS: 120, refresher: "uas" }],
    ["600;refresher=other", { deltaS: 600 }],
  ])("parses %s", (text, expected) => {
    expect(parseSessionExpires(text)).toEqual(expected);
  });

  it("treats absent, zero or malformed values as no session timer", () => {
    for (const text of [undefined, "", "0", "soon", "-5"]) expect(parseSessionExpires(text)).toBeUndefined();
    expect(parseMinSe("90")).toBe(90);
    expect(parseMinSe("x")).toBeUndefined();
  });

  it("formats with and without refresher", () => {
    expect(formatSessionExpires(1800, undefined)).toBe("1800");
    expect(formatSessionExpires(90, "uas")).toBe("90;refresher=uas");
  });
});

/** The session-timer facts of a peer's request, for {@link remoteRefreshTerms}. */
function peer(
  sessionExpires: { deltaS: number; refresher?: "uac" | "uas" } | undefined,
  supportsTimer: boolean,
  minSeS?: number,
) {
  return { sessionExpires, supportsTimer, minSeS };
}

describe("answering the peer's session refresh (RFC 4028 §9)", () => {
  it("refuses an interval below our Min-SE from a peer that supports timers", () => {
    expect(remoteRefreshTerms(peer({ deltaS: 60 }, true), undefined, 90)).toEqual({ rejectMinSeS: 90 });
  });

  it("raises an interval below our Min-SE from a peer without timer support, and refreshes itself", () => {
    expect(remoteRefreshTerms(peer({ deltaS: 60 }, false), undefined, 120)).toEqual({
      sessionExpires: "120;refresher=uas",
      requireTimer: false,
      state: { intervalS: 120, refresher: "local" },
    });
    expect(remoteRefreshTerms(peer({ deltaS: 60 }, false, 150), undefined, 120)).toMatchObject({
      sessionExpires: "150;refresher=uas",
    });
  });

  it("keeps the peer's refresher, and lets a peer that supports timers refresh when it did not say", () => {
    expect(remoteRefreshTerms(peer({ deltaS: 300, refresher: "uas" }, true), undefined, 90)).toEqual({
      sessionExpires: "300;refresher=uas",
      requireTimer: true,
      state: { intervalS: 300, refresher: "local" },
    });
    expect(remoteRefreshTerms(peer({ deltaS: 300 }, true), undefined, 90)).toMatchObject({
      sessionExpires: "300;refresher=uac",
      requireTimer: true,
      state: { intervalS: 300, refresher: "remote" },
    });
  });

  it("refreshes itself when the peer does not support timers, whatever refresher it named", () => {
    for (const refresher of [undefined, "uac" as const]) {
      expect(
        remoteRefreshTerms(peer({ deltaS: 300, ...(refresher ? { refresher } : {}) }, false), undefined, 90),
      ).toEqual({
        sessionExpires: "300;refresher=uas",
        requireTimer: false,
        state: { intervalS: 300, refresher: "local" },
      });
    }
  });

  it("continues the running timer when the refresh has no Session-Expires, and none when nothing runs", () => {
    expect(
      remoteRefreshTerms(peer(undefined, true), { intervalS: 1800, refresher: "remote" }, 90),
    ).toMatchObject({
      sessionExpires: "1800;refresher=uac",
      state: { intervalS: 1800, refresher: "remote" },
    });
    expect(remoteRefreshTerms(peer(undefined, true), undefined, 90)).toEqual({
      sessionExpires: undefined,
      requireTimer: false,
      state: undefined,
    });
  });
});

describe("the timer a 2xx negotiates (RFC 4028 §7.4, §9)", () => {
  it("maps refresher=uac to the request's sender and a missing refresher to uac", () => {
    expect(negotiatedTimer("90;refresher=uac", "uac")).toEqual({ intervalS: 90, refresher: "local" });
    expect(negotiatedTimer("90;refresher=uac", "uas")).toEqual({ intervalS: 90, refresher: "remote" });
    expect(negotiatedTimer("1800", "uas")).toEqual({ intervalS: 1800, refresher: "remote" });
    expect(negotiatedTimer("1800;refresher=uas", "uas")).toEqual({ intervalS: 1800, refresher: "local" });
    expect(negotiatedTimer(undefined, "uas")).toBeUndefined();
  });
});
