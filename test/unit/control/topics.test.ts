import { describe, expect, it } from "vitest";
import { TopicError, topics } from "../../../src/control/index.ts";

describe("topics", () => {
  const t = topics("siprec-edge", "edge-01");

  it("puts everything under <prefix>/v1/<applianceId>", () => {
    expect(t.base).toBe("siprec-edge/v1/edge-01");
    expect(t.status).toBe("siprec-edge/v1/edge-01/status");
    expect(t.event("SESSIONSTARTED")).toBe("siprec-edge/v1/edge-01/events/SESSIONSTARTED");
    expect(t.command("pauseRecording")).toBe("siprec-edge/v1/edge-01/cmd/pauseRecording");
    expect(t.reply("ops-console", "42")).toBe("siprec-edge/v1/edge-01/reply/ops-console/42");
  });

  it("offers subscription filters for every event and every command", () => {
    expect(t.eventsFilter).toBe("siprec-edge/v1/edge-01/events/+");
    expect(t.commandsFilter).toBe("siprec-edge/v1/edge-01/cmd/+");
  });

  it("accepts a prefix that spans several levels", () => {
    expect(topics("acme/recording", "edge-01").status).toBe("acme/recording/v1/edge-01/status");
  });

  it.each([
    ["an empty appliance id", "siprec-edge", ""],
    ["an appliance id with a slash", "siprec-edge", "edge/01"],
    ["an appliance id with a wildcard", "siprec-edge", "edge+"],
    ["an appliance id with NUL", "siprec-edge", "edge\u0000"],
    ["a prefix with a wildcard", "siprec-edge/#", "edge-01"],
    ["a prefix with an empty level", "siprec-edge/", "edge-01"],
    ["a $SYS-like prefix", "$SYS", "edge-01"],
    ["an empty prefix", "", "edge-01"],
  ])("refuses %s with CONTROL_BAD_TOPIC", (_name, prefix, applianceId) => {
    expect(() => topics(prefix, applianceId)).toThrow(TopicError);
    try {
      topics(prefix, applianceId);
    } catch (err) {
      expect((err as TopicError).code).toBe("CONTROL_BAD_TOPIC");
    }
  });

  it("refuses command names and reply levels that are not one topic level", () => {
    expect(() => t.command("a/b")).toThrow(TopicError);
    expect(() => t.reply("x", "#")).toThrow(TopicError);
    expect(() => t.reply()).toThrow(TopicError);
  });
});
