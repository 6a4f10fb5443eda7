import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commandStep, DiagError, runCommand, runSteps, skipStep } from "../../../../src/tools/index.ts";

/** Whether a process still runs (a zombie waiting for its parent to reap it does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("runSteps", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "diag-steps-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("records a hung command as timeout, kills it with its children, and runs the next step", async () => {
    const pidFile = join(dir, "pids");
    const steps = [
      commandStep(
        "hangs",
        "hang.txt",
        ["sh", "-c", `sleep 30 & echo $! > ${pidFile}; echo $$ >> ${pidFile}; wait`],
        {
          deadlineMs: 300,
        },
      ),
      commandStep("after", "after.txt", ["echo", "still here"]),
    ];
    const records = await runSteps(steps, { dir });
    expect(records.map((r) => [r.name, r.status])).toEqual([
      ["hangs", "timeout"],
      ["after", "ok"],
    ]);
    expect(records[0]?.error).toMatch(/300 ms/);
    const pids = (await readFile(pidFile, "utf8")).trim().split("\n").map(Number);
    await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(await readFile(join(dir, "after.txt"), "utf8")).toBe("still here\n");
  });

  it("records failures with their message, skips with the reason, and the files each step wrote", async () => {
    const records = await runSteps(
      [
        {
          name: "writes-then-fails",
          deadlineMs: 1000,
          run: async (ctx) => {
            await ctx.write("part/one.txt", "partial");
            throw new Error("broke\nsecond line");
          },
        },
        { name: "nothing-here", deadlineMs: 1000, run: async () => skipStep("feature off") },
        commandStep("missing-tool", "x.txt", ["no-such-program-siprec-edge-test"]),
        commandStep("exit-2", "y.txt", ["sh", "-c", "echo out; echo err >&2; exit 2"]),
      ],
      { dir },
    );
    expect(records[0]).toMatchObject({
      status: "failed",
      files: ["part/one.txt"],
      error: "broke | second line",
    });
    expect(records[1]).toMatchObject({ status: "skipped", error: "feature off" });
    expect(records[2]).toMatchObject({ status: "skipped", files: [] });
    expect(records[2]?.error).toMatch(/not installed/);
    expect(records[3]).toMatchObject({ status: "failed", files: ["y.txt"] });
    expect(await readFile(join(dir, "y.txt"), "utf8")).toContain("err");
    for (const r of records) expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("refuses to write outside the bundle folder", async () => {
    const [record] = await runSteps(
      [{ name: "escape", deadlineMs: 1000, run: (ctx) => ctx.write("../outside.txt", "x") }],
      { dir },
    );
    expect(record?.status).toBe("failed");
    expect(existsSync(join(dir, "..", "outside.txt"))).toBe(false);
  });
});

describe("runCommand", () => {
  it("rejects with DIAG_TIMEOUT when the command outlives its timeout", async () => {
    const err = await runCommand(["sleep", "10"], { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagError);
    expect((err as DiagError).code).toBe("DIAG_TIMEOUT");
  });

  it("returns a non-zero exit with the output instead of throwing", async () => {
    const r = await runCommand(["sh", "-c", "printf abc; exit 3"], { timeoutMs: 5000 });
    expect(r.exitCode).toBe(3);
    expect(r.stdout.toString()).toBe("abc");
  });
});
