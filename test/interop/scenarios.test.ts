import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Static checks of the SIPp SIPREC scenarios: the rules SIPp 3.6.1 enforces only when a call runs
 * (or silently gets wrong), checked here without starting SIPp.
 */
const here = import.meta.dirname;
const repoRoot = join(here, "../..");
const scenarios = ["siprec-uac-pcmu.xml", "siprec-uac-pcma.xml"];
const read = (name: string) => readFileSync(join(here, name), "utf8");

describe.each(scenarios)("%s", (name) => {
  const text = read(name);

  it("uses [media_port] only on lines that contain 'audio' (SIPp aborts otherwise)", () => {
    const lines = text.split("\n").filter((line) => /\[(auto_)?media_port/.test(line));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain("audio");
  });

  it("uses every captured variable at least twice, counting its capture (else a load error)", () => {
    const captured = [...text.matchAll(/assign_to="([^"]+)"/g)].flatMap((m) => (m[1] ?? "").split(","));
    const usedOnce = [...new Set(captured.filter((v) => v !== "_"))].filter((variable) => {
      const uses = [...text.matchAll(new RegExp(`\\[\\$${variable}\\]`, "g"))].length;
      return uses + captured.filter((v) => v === variable).length < 2;
    });
    expect(captured.length).toBeGreaterThan(0);
    expect(usedOnce).toEqual([]);
  });

  it("keeps '&' and '<' out of exec commands (SIPp does not unescape them)", () => {
    const commands = [...text.matchAll(/<exec command="([^"]*)"/g)].map((m) => m[1] ?? "");
    expect(commands).toHaveLength(1);
    for (const command of commands) expect(command).not.toMatch(/[&<]/);
  });

  it("plays media files that exist, relative to the repository root", () => {
    const files = [
      ...[...text.matchAll(/rtp_stream="([^,"]+)/g)].map((m) => m[1] ?? ""),
      ...[...text.matchAll(/--file (\S+)/g)].map((m) => m[1] ?? ""),
    ];
    expect(files).toHaveLength(2);
    for (const file of files) expect(existsSync(join(repoRoot, file))).toBe(true);
  });
});

describe("the PCMU and PCMA scenarios", () => {
  it("differ only in payload type, rtpmap, media file extension and names", () => {
    const asPcmu = read("siprec-uac-pcma.xml")
      .replace(/PCMA \(payload type 8\)/, "PCMU (payload type 0)")
      .replace(
        /siprec-uac-pcmu\.xml is the same scenario for PCMU/,
        "siprec-uac-pcma.xml is the same scenario for PCMA",
      )
      .replaceAll("RTP/AVP 8", "RTP/AVP 0")
      .replaceAll("a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000")
      .replaceAll(".alaw", ".ulaw")
      .replace("agent.ulaw,1,8", "agent.ulaw,1,0")
      .replace("--pt 8", "--pt 0")
      .replace("SIPREC SRC, PCMA", "SIPREC SRC, PCMU")
      .replace("SIPp siprec-uac-pcma", "SIPp siprec-uac-pcmu");
    expect(asPcmu).toBe(read("siprec-uac-pcmu.xml"));
  });
});
