import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scrubBytes, scrubFolder, secretVariants } from "../../../../src/tools/index.ts";

describe("scrubbing the bundle", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("overwrites a secret in place, so binary files keep their length", () => {
    const data = Buffer.from("\x00\x01Authorization: Bearer s3cr3t-token\x02");
    const before = data.length;
    expect(scrubBytes(data, secretVariants(["s3cr3t-token"]))).toBe(1);
    expect(data.length).toBe(before);
    expect(data.toString("latin1")).toContain("Bearer ************");
  });

  it("finds URL-encoded, JSON-escaped and Base64 forms too, and ignores values under 4 characters", () => {
    const variants = secretVariants(['p@ss"word', "ab"]);
    expect(variants).toEqual(expect.arrayContaining(['p@ss"word', "p%40ss%22word", 'p@ss\\"word']));
    expect(variants).not.toContain("ab");
  });

  it("rewrites only files that held a secret and reports how many occurrences per file", async () => {
    dir = await mkdtemp(join(tmpdir(), "diag-scrub-"));
    await writeFile(join(dir, "journal.txt"), "login with hunter2-pw and hunter2-pw again\n");
    await writeFile(join(dir, "clean.txt"), "nothing here\n");
    const counts = await scrubFolder(dir, ["hunter2-pw"]);
    expect(counts).toEqual({ "journal.txt": 2 });
    expect(await readFile(join(dir, "journal.txt"), "utf8")).not.toContain("hunter2-pw");
  });
});
