import { describe, expect, it } from "vitest";
import { assignRoles } from "../../../src/srs/index.ts";

const participants = [
  { participantId: "p1", aor: "sip:+15551230000@carrier.example", name: "Caller", role: "unknown" as const },
  { participantId: "p2", aor: "sip:1001@pbx.example", name: "Agent 1001", role: "unknown" as const },
];
const streams = [
  { mlineIndex: 0, binding: { label: "1", streamId: "s1", senderParticipantId: "p1" } },
  { mlineIndex: 1, binding: { label: "2", streamId: "s2", senderParticipantId: "p2" } },
];

describe("participant roles", () => {
  it("makes the first m-line's sender the customer with customer-first", () => {
    const { participants: p, streamRoles } = assignRoles(participants, streams, {
      order: "customer-first",
      agentLabels: [],
    });
    expect(p.map((x) => x.role)).toEqual(["customer", "agent"]);
    expect([...streamRoles.values()]).toEqual(["customer", "agent"]);
  });

  it("makes the first m-line's sender the agent with agent-first", () => {
    const { participants: p } = assignRoles(participants, streams, { order: "agent-first", agentLabels: [] });
    expect(p.map((x) => x.role)).toEqual(["agent", "customer"]);
  });

  it("lets an AOR pattern decide over m-line order", () => {
    const { participants: p, streamRoles } = assignRoles(participants, streams, {
      order: "agent-first",
      agentAorPattern: /^sip:1\d{3}@/,
      agentLabels: [],
    });
    expect(p.map((x) => x.role)).toEqual(["customer", "agent"]);
    expect(streamRoles.get(1)).toBe("agent");
  });

  it("lets agent labels decide over m-line order", () => {
    const { participants: p } = assignRoles(participants, streams, {
      order: "agent-first",
      agentLabels: ["2"],
    });
    expect(p.map((x) => x.role)).toEqual(["customer", "agent"]);
  });

  it("gives streams roles by m-line order when the metadata names no sender", () => {
    const bare = streams.map((s) => ({ ...s, binding: { ...s.binding, senderParticipantId: "" } }));
    const { streamRoles } = assignRoles([], bare, { order: "customer-first", agentLabels: [] });
    expect([...streamRoles.values()]).toEqual(["customer", "agent"]);
  });
});
