import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { errorMessage } from "../../lib/index.ts";
import { type DiagStep, type StepContext, skipStep } from "./step-runner.ts";

/** Options of {@link pcapsStep}. */
export interface PcapsStepOptions {
  /** The per-call capture folder (config `capture.path`). */
  folder: string;
  /** How many of the newest captures to copy. */
  count: number;
  /** Total bytes the copied captures may take; larger ones are left out (and listed). */
  capBytes: number;
  /** Tried when the folder is missing or unreadable, e.g. fetching the captures from the daemon's API. */
  fallback?: (ctx: StepContext, count: number, capBytes: number) => Promise<void>;
}

async function listCaptures(folder: string): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && /\.pcap(ng)?$/i.test(e.name));
  const stats = await Promise.all(
    files.map(async (e) => {
      const path = join(e.parentPath, e.name);
      const s = await stat(path);
      return { path, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
  return stats.sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/**
 * The `pcaps` step: copies the `count` newest per-call captures (by modification time) from the
 * capture folder into `pcaps/`, within a total of `capBytes`; skipped when `count` is 0, and when
 * the folder does not exist and there is no fallback.
 */
export function pcapsStep(options: PcapsStepOptions): DiagStep {
  return {
    name: "pcaps",
    deadlineMs: 60_000,
    run: async (ctx) => {
      if (options.count <= 0) skipStep("--pcaps 0");
      let captures: Awaited<ReturnType<typeof listCaptures>>;
      try {
        captures = await listCaptures(options.folder);
      } catch (err) {
        if (!options.fallback) skipStep(`no capture folder ${options.folder} (${errorMessage(err)})`);
        ctx.note(
          `capture folder ${options.folder} not readable (${errorMessage(err)}); asked the daemon instead`,
        );
        await options.fallback(ctx, options.count, options.capBytes);
        return;
      }
      if (captures.length === 0) {
        ctx.note(`no captures in ${options.folder}`);
        return;
      }
      let total = 0;
      const left: string[] = [];
      for (const capture of captures.slice(0, options.count)) {
        const name = relative(options.folder, capture.path).replace(/\//g, "_");
        if (total + capture.size > options.capBytes) {
          left.push(`${name} (${capture.size} bytes)`);
          continue;
        }
        await ctx.write(`pcaps/${name}`, await readFile(capture.path));
        total += capture.size;
      }
      ctx.note(`${captures.length} capture(s) in ${options.folder}; copied ${total} bytes`);
      if (left.length > 0) ctx.note(`left out over the ${options.capBytes}-byte cap: ${left.join(", ")}`);
    },
  };
}
