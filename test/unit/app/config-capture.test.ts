import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../../src/app/config.ts";

function issuesOf(text: string): string[] {
  try {
    parseConfig(text, "/etc/siprec-edge/config.yaml", {});
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.key}: ${i.message}`);
    throw err;
  }
  return [];
}

describe("the capture section of the configuration", () => {
  it("captures by default into a captures folder next to the spool, 2 GB at most, keeping 500 SIP messages", () => {
    const config = parseConfig(
      "spool: { path: /var/lib/siprec-edge/spool.db }",
      "/etc/siprec-edge/config.yaml",
      {},
    );
    expect(config.capture).toEqual({
      enabled: true,
      path: "/var/lib/siprec-edge/captures",
      max_bytes: 2e9,
      sip_messages: 500,
    });
  });

  it("resolves a relative capture.path against the configuration file's folder", () => {
    const config = parseConfig("capture: { path: ./pcaps, max_bytes: 500MiB }", "/opt/edge/config.yaml", {});
    expect(config.capture.path).toBe("/opt/edge/pcaps");
    expect(config.capture.max_bytes).toBe(500 * 1024 * 1024);
  });

  it("names a bad capture value and says how to write it", () => {
    expect(issuesOf("capture: { max_bytes: lots }")).toEqual([
      'capture.max_bytes: "lots" is not a size; write e.g. "2GB" or "500MiB"',
    ]);
    expect(issuesOf("capture: { sip_messages: -1 }")).toEqual([
      "capture.sip_messages: must be 0 (no ring) or more, e.g. 500",
    ]);
    expect(issuesOf("capture: { enable: true }")).toEqual([
      'capture.enable: is not a known key; did you mean "enabled"?',
    ]);
  });
});
