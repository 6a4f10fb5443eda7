import { describe, expect, it } from "vitest";
import { forwardParties } from "../../../../src/sinks/siprec-forward/forward-offer.ts";
import { firstGap, uncoveredCount } from "../../../../src/sinks/siprec-forward/progress.ts";
import type { CallRecord, StreamRecord } from "../../../../src/spool/index.ts";

describe("what a SIPREC sink is owed", () => {
  it.each([
    { name: "nothing sent", covered: [], last: 10, gap: { from: 1, to: 10 }, owed: 10 },
    { name: "everything sent", covered: [{ from: 1, to: 10 }], last: 10, gap: undefined, owed: 0 },
    { name: "no frame yet", covered: [], last: 0, gap: undefined, owed: 0 },
    {
      name: "a broken session's tail",
      covered: [{ from: 1, to: 4 }],
      last: 10,
      gap: { from: 5, to: 10 },
      owed: 6,
    },
    {
      name: "a hole before a live restart",
      covered: [
        { from: 11, to: Number.POSITIVE_INFINITY },
        { from: 1, to: 4 },
      ],
      last: 20,
      gap: { from: 5, to: 10 },
      owed: 6,
    },
    {
      name: "overlapping sessions",
      covered: [
        { from: 1, to: 6 },
        { from: 4, to: 8 },
        { from: 12, to: 12 },
      ],
      last: 14,
      gap: { from: 9, to: 11 },
      owed: 5,
    },
    { name: "an empty segment", covered: [{ from: 5, to: 4 }], last: 6, gap: { from: 1, to: 6 }, owed: 6 },
  ])("$name", ({ covered, last, gap, owed }) => {
    expect(firstGap(covered, last)).toEqual(gap);
    expect(uncoveredCount(covered, last)).toBe(owed);
  });
});

describe("the parties of a forward session", () => {
  const call = {
    callId: "c1",
    participants: [
      { participantId: "p0", aor: "sip:1001@pbx.example", name: "Ann", role: "customer" },
      { participantId: "p1", aor: "sip:2002@pbx.example", name: "", role: "agent" },
    ],
  } as CallRecord;
  const stream = (label: string, mlineIndex: number, participantId: string): StreamRecord =>
    ({ label, mlineIndex, participantId }) as StreamRecord;

  it("keeps the received labels that are SDP tokens and makes the others unique tokens", () => {
    const parties = forwardParties(
      call,
      [stream("a b", 0, "p0"), stream("x", 1, "p1"), stream("x", 2, "p1")],
      {},
    );
    expect(parties.streams.map((s) => s.label)).toEqual(["s0", "x", "x-2"]);
  });

  it("applies the caller and called-party overrides, dropping a label override that clashes", () => {
    const parties = forwardParties(call, [stream("1", 0, "p0"), stream("2", 1, "p1")], {
      caller: { name: "Customer", user: "cust", label: "2" },
      calledParty: { name: "Agent" },
    });
    expect(parties.streams.map((s) => s.label)).toEqual(["1", "2"]);
    expect(parties.participants.map((p) => [p.name, p.aor])).toEqual([
      ["Customer", "sip:cust@pbx.example"],
      ["Agent", "sip:2002@pbx.example"],
    ]);
  });
});
