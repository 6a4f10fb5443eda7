import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { errorCode, errorMessage } from "../../lib/index.ts";
import { DiagError } from "./errors.ts";
import { runCommand } from "./run-command.ts";
import { type DiagStep, type StepContext, skipStep } from "./step-runner.ts";

/** Options of {@link commandStep}. */
export interface CommandStepOptions {
  /** Deadline of the step, ms. @default 20000 */
  deadlineMs?: number;
  /** Exit codes that mean success besides 0 (`systemctl status` exits 3 for a stopped unit). */
  okExitCodes?: number[];
}

/**
 * Runs one command and writes its output. Returns the exit code; a missing program skips the step.
 * @throws DiagError `DIAG_COMMAND_FAILED` for another exit code (the output is still written).
 */
export async function runInto(
  ctx: StepContext,
  file: string,
  argv: readonly string[],
  options: { timeoutMs: number; okExitCodes?: number[] },
): Promise<number | null> {
  let result: Awaited<ReturnType<typeof runCommand>>;
  try {
    result = await runCommand(argv, { timeoutMs: options.timeoutMs, signal: ctx.signal });
  } catch (err) {
    if (errorCode(err) === "DIAG_COMMAND_MISSING") skipStep(errorMessage(err));
    throw err;
  }
  const stderr = result.stderr.trim();
  const body =
    stderr === ""
      ? result.stdout
      : Buffer.concat([result.stdout, Buffer.from(`\n--- stderr ---\n${stderr}\n`)]);
  if (body.length > 0) await ctx.write(file, body);
  if (result.truncated) ctx.note(`${argv[0]}: output truncated`);
  const ok =
    result.exitCode === 0 ||
    (result.exitCode !== null && (options.okExitCodes ?? []).includes(result.exitCode));
  if (!ok) {
    throw new DiagError(
      "DIAG_COMMAND_FAILED",
      `${argv.join(" ")} exited with ${result.exitCode}${stderr ? `: ${stderr.split("\n").slice(-3).join(" | ")}` : ""}`,
    );
  }
  return result.exitCode;
}

/** A step that runs one command and writes its stdout (and stderr, if any) to `file`. */
export function commandStep(
  name: string,
  file: string,
  argv: readonly string[],
  options: CommandStepOptions = {},
): DiagStep {
  const deadlineMs = options.deadlineMs ?? 20_000;
  return {
    name,
    deadlineMs,
    run: async (ctx) => {
      await runInto(ctx, file, argv, {
        timeoutMs: deadlineMs,
        ...(options.okExitCodes ? { okExitCodes: options.okExitCodes } : {}),
      });
    },
  };
}

/** Versions recorded in the manifest. */
export interface DiagVersions {
  siprecEdge: string;
  bun: string;
  /** `uname -a`. */
  kernel?: string;
  /** `/etc/os-release` as key → value. */
  osRelease?: Record<string, string>;
  /** `dpkg-query -W siprec-edge`: the installed package and version, when installed from the .deb. */
  dpkg?: string;
}

/** Parses `/etc/os-release` (KEY=value, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = (m[2] ?? "").replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/**
 * The `versions` step: fills `versions` (for the manifest) with `uname -a`, `/etc/os-release` and
 * `dpkg-query -W siprec-edge` and writes `versions.json`. Fails only when nothing could be read.
 */
export function versionsStep(versions: DiagVersions): DiagStep {
  return {
    name: "versions",
    deadlineMs: 10_000,
    run: async (ctx) => {
      const problems: string[] = [];
      const quiet = async (argv: string[]): Promise<string | undefined> => {
        try {
          const r = await runCommand(argv, { timeoutMs: 5000, signal: ctx.signal });
          if (r.exitCode === 0) return r.stdout.toString("utf8").trim();
          problems.push(`${argv.join(" ")}: exit ${r.exitCode} ${r.stderr.trim()}`);
        } catch (err) {
          problems.push(errorMessage(err));
        }
        return undefined;
      };
      const kernel = await quiet(["uname", "-a"]);
      if (kernel) versions.kernel = kernel;
      try {
        versions.osRelease = parseOsRelease(await readFile("/etc/os-release", "utf8"));
      } catch (err) {
        problems.push(`/etc/os-release: ${errorMessage(err)}`);
      }
      const dpkg = await quiet(["dpkg-query", "-W", "siprec-edge"]);
      if (dpkg) versions.dpkg = dpkg;
      else ctx.note("siprec-edge is not installed as a Debian package (or dpkg-query is missing)");
      for (const p of problems) ctx.note(p);
      await ctx.write("versions.json", `${JSON.stringify({ host: hostname(), ...versions }, null, 2)}\n`);
    },
  };
}

const procNetFiles = ["tcp", "tcp6", "udp", "udp6"];

/** The `ports` step: `ss -tulpn`, or the raw `/proc/net/{tcp,udp}{,6}` tables when ss is missing or fails. */
export function portsStep(): DiagStep {
  return {
    name: "ports",
    deadlineMs: 15_000,
    run: async (ctx) => {
      try {
        await runInto(ctx, "network/ss-tulpn.txt", ["ss", "-tulpn"], { timeoutMs: 10_000 });
        return;
      } catch (err) {
        ctx.note(`ss failed (${errorMessage(err)}); copied /proc/net tables instead`);
      }
      let copied = 0;
      for (const name of procNetFiles) {
        try {
          await ctx.write(`network/proc-net-${name}.txt`, await readFile(`/proc/net/${name}`));
          copied += 1;
        } catch (err) {
          ctx.note(`/proc/net/${name}: ${errorMessage(err)}`);
        }
      }
      if (copied === 0) throw new DiagError("DIAG_COMMAND_FAILED", "neither ss nor /proc/net could be read");
    },
  };
}

/**
 * The `clock` step: `timedatectl show`, `timedatectl timesync-status` and `chronyc tracking`,
 * whichever answer, into `system/clock.txt`, and a summary `system/clock.json`
 * (`synchronized`: yes, no or unknown). Skipped when none of the tools is installed.
 */
export function clockStep(): DiagStep {
  return {
    name: "clock",
    deadlineMs: 15_000,
    run: async (ctx) => {
      const sections: string[] = [];
      const problems: string[] = [];
      let missing = 0;
      let synchronized: "yes" | "no" | "unknown" = "unknown";
      const commands = [
        ["timedatectl", "show"],
        ["timedatectl", "timesync-status"],
        ["chronyc", "tracking"],
      ];
      for (const argv of commands) {
        try {
          const r = await runCommand(argv, { timeoutMs: 5000, signal: ctx.signal });
          const out = r.stdout.toString("utf8");
          sections.push(`$ ${argv.join(" ")}  (exit ${r.exitCode})\n${out}${r.stderr}`);
          if (r.exitCode !== 0) problems.push(`${argv.join(" ")}: exit ${r.exitCode} ${r.stderr.trim()}`);
          const ntp = /^NTPSynchronized=(yes|no)$/m.exec(out)?.[1];
          if (ntp === "yes" || ntp === "no") synchronized = ntp;
          if (r.exitCode === 0 && /^Leap status\s*:\s*Normal/m.test(out)) synchronized = "yes";
        } catch (err) {
          if (errorCode(err) === "DIAG_COMMAND_MISSING") missing += 1;
          problems.push(errorMessage(err));
        }
      }
      if (missing === commands.length)
        skipStep("neither timedatectl nor chronyc is installed; clock sync unknown");
      if (sections.length > 0) await ctx.write("system/clock.txt", `${sections.join("\n")}\n`);
      await ctx.write(
        "system/clock.json",
        `${JSON.stringify({ synchronized, wallClock: new Date().toISOString() }, null, 2)}\n`,
      );
      for (const p of problems) ctx.note(p);
      if (synchronized === "unknown" && problems.length > 0) {
        throw new DiagError("DIAG_COMMAND_FAILED", `clock sync state unknown: ${problems.join("; ")}`);
      }
    },
  };
}
