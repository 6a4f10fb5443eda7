import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  buildManifest,
  bundleFileName,
  bundleFormatVersion,
  createDiagBundle,
  type DiagManifest,
  runCommand,
} from "../../../../src/tools/index.ts";

describe("manifest and bundle", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "diag-bundle-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("names the bundle after the appliance and the UTC time to the second", () => {
    expect(bundleFileName("edge-01", new Date("2025-03-04T05:06:07.890Z"))).toBe(
      "siprec-edge-diag-edge-01-20250304T050607Z.tar.gz",
    );
    expect(bundleFileName("a/b c", new Date(0))).toBe("siprec-edge-diag-a-b-c-19700101T000000Z.tar.gz");
  });

  it("counts the steps by status", () => {
    const m = buildManifest({
      created: new Date(0),
      host: "h",
      applianceId: "a",
      versions: { siprecEdge: "1", bun: "1" },
      scrubbed: {},
      steps: [
        { name: "a", status: "ok", durationMs: 1, files: [] },
        { name: "b", status: "failed", durationMs: 1, files: [], error: "x" },
        { name: "c", status: "timeout", durationMs: 1, files: [] },
      ],
    });
    expect(m.summary).toEqual({ ok: 1, failed: 1, timeout: 1, skipped: 0 });
    expect(m.formatVersion).toBe(bundleFormatVersion);
  });

  it("writes one tar.gz with the manifest and the step files, secrets scrubbed everywhere, temp folder removed", async () => {
    const tmpRoot = join(dir, "tmp");
    const out = join(dir, "out");
    await Promise.all([
      import("node:fs/promises").then((fs) => fs.mkdir(tmpRoot)),
      import("node:fs/promises").then((fs) => fs.mkdir(out)),
    ]);
    const bundle = await createDiagBundle({
      applianceId: "unit",
      outputDir: out,
      tmpRoot,
      versions: { siprecEdge: "0", bun: Bun.version },
      secrets: () => ["planted-secret-xyz"],
      now: () => new Date("2025-01-02T03:04:05Z"),
      steps: () => [
        {
          name: "leaky",
          deadlineMs: 1000,
          run: async (ctx) => {
            await ctx.write("logs/journal.txt", "token=planted-secret-xyz\n");
            throw new Error("failed with planted-secret-xyz in the message");
          },
        },
      ],
    });
    expect(bundle.path).toBe(join(out, "siprec-edge-diag-unit-20250102T030405Z.tar.gz"));
    expect(await readdir(out)).toEqual(["siprec-edge-diag-unit-20250102T030405Z.tar.gz"]);
    expect(await readdir(tmpRoot)).toEqual([]);
    const x = join(dir, "x");
    await import("node:fs/promises").then((fs) => fs.mkdir(x));
    await runCommand(["tar", "-xzf", bundle.path, "-C", x], { timeoutMs: 10_000 });
    const root = join(x, "siprec-edge-diag-unit-20250102T030405Z");
    const manifest = JSON.parse(await readFile(join(root, "manifest.json"), "utf8")) as DiagManifest;
    expect(manifest.steps[0]).toMatchObject({ name: "leaky", status: "failed", files: ["logs/journal.txt"] });
    expect(manifest.scrubbed).toEqual({ "logs/journal.txt": 1 });
    expect(JSON.stringify(manifest)).not.toContain("planted-secret-xyz");
    expect(await readFile(join(root, "logs/journal.txt"), "utf8")).not.toContain("planted-secret-xyz");
  });

  it("throws DIAG_TAR and leaves no partial file when the output folder is not writable", async () => {
    const err = await createDiagBundle({
      applianceId: "unit",
      outputDir: join(dir, "does-not-exist"),
      versions: { siprecEdge: "0", bun: "0" },
      secrets: () => [],
      steps: () => [],
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("DIAG_TAR");
    await writeFile(join(dir, "probe"), "");
  });
});
