import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const unitPath = join(import.meta.dirname, "../../../../systemd/siprec-edge.service");
const unitText = readFileSync(unitPath, "utf8");
const dir = mkdtempSync(join(tmpdir(), "siprec-edge-unit-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `systemd-analyze verify` on a copy of `text`. verify insists that the ExecStart= binary exists
 * on this host, which /usr/bin/siprec-edge does only once the .deb is installed, so the copy points
 * ExecStart= at an executable in a temp dir; nothing else changes.
 */
function verifyCopy(text: string) {
  const binary = join(dir, "siprec-edge");
  copyFileSync("/bin/true", binary);
  const copy = join(dir, "siprec-edge.service");
  const pointed = text.replace("ExecStart=/usr/bin/siprec-edge ", `ExecStart=${binary} `);
  expect(pointed).toContain(`ExecStart=${binary} run --config`);
  writeFileSync(copy, pointed);
  const verify = spawnSync("systemd-analyze", ["verify", copy], { encoding: "utf8" });
  expect(verify.error).toBeUndefined();
  return verify;
}

/** `Key=value` settings of the unit file, comments dropped. */
function settings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

describe("systemd/siprec-edge.service", () => {
  it("passes systemd-analyze verify without a single complaint", () => {
    const verify = verifyCopy(unitText);
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
  });

  it("would be caught by the check: verify exits 0 on an invalid value and only says so on stderr", () => {
    const verify = verifyCopy(unitText.replace("WatchdogSec=30s", "WatchdogSec=soon"));
    expect(verify.status).toBe(0);
    expect(verify.stderr).toContain("Failed to parse sec value, ignoring: soon");
  });

  it("is a notify service with a 30 s watchdog, restarted on failure and reloaded by SIGHUP", () => {
    const unit = settings(unitText);
    expect(unit.get("Type")).toBe("notify");
    expect(unit.get("WatchdogSec")).toBe("30s");
    expect(unit.get("Restart")).toBe("on-failure");
    expect(unit.get("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(unit.get("ExecStart")).toBe("/usr/bin/siprec-edge run --config /etc/siprec-edge/config.yaml");
  });

  it("keeps the hardening of DESIGN §7 and leaves write-execute memory allowed for Bun's JIT and bun:ffi", () => {
    const unit = settings(unitText);
    expect(unit.get("ProtectSystem")).toBe("strict");
    expect(unit.get("StateDirectory")).toBe("siprec-edge");
    expect(unit.get("User")).toBe("siprec-edge");
    expect(unit.get("AmbientCapabilities")).toBe("CAP_NET_BIND_SERVICE");
    expect(unit.get("CapabilityBoundingSet")).toBe("CAP_NET_BIND_SERVICE");
    expect(unit.get("NoNewPrivileges")).toBe("yes");
    expect(unit.get("RestrictAddressFamilies")).toBe("AF_UNIX AF_INET AF_INET6 AF_NETLINK");
    expect(unit.has("MemoryDenyWriteExecute")).toBe(false);
  });
});
