import { spawn } from "node:child_process";
import { DiagError } from "./errors.ts";

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Kill the command (its whole process group, SIGKILL) after this long, ms. */
  timeoutMs: number;
  /** Aborting kills the command the same way (the step's deadline passed). */
  signal?: AbortSignal;
  /** Environment; @default process.env */
  env?: Record<string, string | undefined>;
  /** Output kept per stream, bytes; the rest is dropped and `truncated` set. @default 64 MiB */
  maxOutputBytes?: number;
}

/** What a finished command produced. */
export interface CommandOutput {
  /** Exit status, or null when killed by a signal. */
  exitCode: number | null;
  /** Standard output (at most `maxOutputBytes`). */
  stdout: Buffer;
  /** Standard error as text (at most `maxOutputBytes`). */
  stderr: string;
  /** True when the output was cut at `maxOutputBytes`. */
  truncated: boolean;
}

/**
 * Runs `argv` without a shell in its own process group, stdin closed, collecting its output; on
 * timeout or abort the group is killed with SIGKILL, so a hung command (or its children) never
 * outlives its step. A non-zero exit is returned, not thrown.
 * @throws DiagError `DIAG_COMMAND_MISSING` when the program is not installed, `DIAG_TIMEOUT` when
 *   killed on timeout or abort.
 */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<CommandOutput> {
  const [program = "", ...args] = argv;
  const limit = options.maxOutputBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: options.env ?? process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let sizes = [0, 0];
    let truncated = false;
    let killedFor: string | undefined;
    const keep = (into: Buffer[], which: 0 | 1) => (chunk: Buffer) => {
      const room = limit - (sizes[which] ?? 0);
      if (room <= 0) {
        truncated = true;
        return;
      }
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (part !== chunk) truncated = true;
      into.push(part);
      sizes =
        which === 0
          ? [(sizes[0] ?? 0) + part.length, sizes[1] ?? 0]
          : [sizes[0] ?? 0, (sizes[1] ?? 0) + part.length];
    };
    child.stdout?.on("data", keep(out, 0));
    child.stderr?.on("data", keep(err, 1));
    const kill = (why: string): void => {
      if (killedFor !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      killedFor = why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = (): void => kill("stopped at the step's deadline");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const finish = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      finish();
      if (error.code === "ENOENT") {
        reject(new DiagError("DIAG_COMMAND_MISSING", `${program} is not installed`, { cause: error }));
      } else {
        reject(new DiagError("DIAG_COMMAND_FAILED", `${program}: ${error.message}`, { cause: error }));
      }
    });
    child.once("close", (code) => {
      finish();
      if (killedFor !== undefined) {
        reject(new DiagError("DIAG_TIMEOUT", `${argv.join(" ")}: ${killedFor}, killed`));
        return;
      }
      resolve({
        exitCode: code,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
        truncated,
      });
    });
  });
}
