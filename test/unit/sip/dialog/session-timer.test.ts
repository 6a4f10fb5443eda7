import { describe, expect, it } from "vitest";
import { remoteRefreshTerms } from "../../../../src/sip/dialog/session-timer.ts";
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

describe("answering the peer's session refresh (RFC 4028 §9)", () => {
  it("refuses an interval below our Min-SE", () => {
    expect(remoteRefreshTerms({ deltaS: 60 }, true, undefined, 90)).toEqual({ rejectMinSeS: 90 });
  });

  it("keeps the peer's refresher, and lets a peer that supports timers refresh when it did not say", () => {
    expect(remoteRefreshTerms({ deltaS: 300, refresher: "uas" }, true, undefined, 90)).toEqual({
      sessionExpires: "300;refresher=uas",
      requireTimer: false,
      state: { intervalS: 300, refresher: "local" },
    });
    expect(remoteRefreshTerms({ deltaS: 300 }, true, undefined, 90)).toMatchObject({
      sessionExpires: "300;refresher=uac",
      requireTimer: true,
      state: { intervalS: 300, refresher: "remote" },
    });
    expect(remoteRefreshTerms({ deltaS: 300 }, false, undefined, 90)).toMatchObject({
      sessionExpires: "300;refresher=uas",
      state: { intervalS: 300, refresher: "local" },
    });
  });

  it("continues the running timer when the refresh has no Session-Expires, and none when nothing runs", () => {
    expect(remoteRefreshTerms(undefined, true, { intervalS: 1800, refresher: "remote" }, 90)).toMatchObject({
      sessionExpires: "1800;refresher=uac",
      state: { intervalS: 1800, refresher: "remote" },
    });
    expect(remoteRefreshTerms(undefined, true, undefined, 90)).toEqual({
      sessionExpires: undefined,
      requireTimer: false,
      state: undefined,
    });
  });
});
