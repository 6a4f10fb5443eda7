import { describe, expect, it } from "vitest";
import { formatBacklog, renderCallTable } from "../../../../src/tools/spool-client/index.ts";

describe("spool ls table", () => {
  it("shows per sink the unit furthest behind, and 'delivered' when every unit is done", () => {
    expect(
      formatBacklog([
        { sink: "ai", unit: "7", state: "open", backlogSeconds: 0.4 },
        { sink: "ai", unit: "8", state: "replaying", backlogSeconds: 31.25 },
        { sink: "archive", unit: "call", state: "done", backlogSeconds: 0 },
      ]),
    ).toBe("ai 31.3s replaying, archive delivered");
    expect(formatBacklog([])).toBe("-");
  });

  it("says so when the spool holds no call", () => {
    expect(renderCallTable([])).toContain("(no calls in the spool)");
  });

  it("aligns every column under its header", () => {
    const call = {
      callId: "c-1",
      state: "recovered",
      startedAt: "2025-03-04T10:00:00.000Z",
      durationMs: 3_723_000,
      streamCount: 2,
      frames: 372_300,
      bytes: 59_568_000,
      sinks: [],
    };
    const [header, line] = renderCallTable([call]).split("\n");
    expect(line).toContain("1:02:03");
    expect(line).toContain("56.8 MiB");
    expect(line?.indexOf("recovered")).toBe(header?.indexOf("STATE"));
    expect(line?.indexOf("2025-03-04 10:00:00")).toBe(header?.indexOf("STARTED"));
  });
});
