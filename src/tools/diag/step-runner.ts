import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import {
  type Clock,
  errorCode,
  errorMessage,
  type Logger,
  silentLogger,
  systemClock,
} from "../../lib/index.ts";
import { DiagError } from "./errors.ts";

/** How a step ended: `skipped` means it had nothing to do here (a tool not installed, a feature off). */
export type StepStatus = "ok" | "failed" | "timeout" | "skipped";

/** What a step gets to work with. */
export interface StepContext {
  /** Aborted when the step's deadline passes: pass it to commands and fetches so they stop. */
  readonly signal: AbortSignal;
  /**
   * Writes a file of the bundle (`relPath` below the bundle folder, e.g. `system/journal.txt`) and
   * records it for the manifest. Writes after the deadline are dropped.
   * @throws Error when `relPath` leaves the bundle folder.
   */
  write(relPath: string, data: string | Uint8Array): Promise<void>;
  /**
   * Reserves a file of the bundle that a child process writes itself (tcpdump): creates its folder,
   * records it for the manifest and returns its absolute path.
   * @throws Error when `relPath` leaves the bundle folder.
   */
  reserve(relPath: string): Promise<string>;
  /** Adds a note to the step's manifest entry (what was found, a fallback taken). */
  note(text: string): void;
}

/** One step of the bundle: a name, a deadline and the work. */
export interface DiagStep {
  /** Stable step name for the manifest, e.g. `journal`, `spool-stats`. */
  name: string;
  /** How long the step may run, ms; past it the step is recorded as `timeout` and its children killed. */
  deadlineMs: number;
  /**
   * Collects and writes the step's files. Throwing records the step as `failed` (or `skipped` for
   * a {@link DiagError} `DIAG_SKIPPED`, `timeout` for `DIAG_TIMEOUT`) with the error's message.
   */
  run(ctx: StepContext): Promise<void>;
}

/** A step's entry in the manifest. */
export interface StepRecord {
  name: string;
  status: StepStatus;
  /** Wall time the step took, ms. */
  durationMs: number;
  /** Files the step wrote, relative to the bundle folder. */
  files: string[];
  /** Why it failed, timed out or was skipped. */
  error?: string;
  /** Notes the step added (fallbacks taken, what was found). */
  notes?: string[];
}

/** Options of {@link runSteps}. */
export interface RunStepsOptions {
  /** Folder the steps write into (the bundle folder). */
  dir: string;
  clock?: Clock;
  logger?: Logger;
}

/** Throws the error a step uses to say it had nothing to do, recorded as `skipped` with `reason`. */
export function skipStep(reason: string): never {
  throw new DiagError("DIAG_SKIPPED", reason);
}

function statusOf(err: unknown): StepStatus {
  const code = errorCode(err);
  if (code === "DIAG_SKIPPED") return "skipped";
  if (code === "DIAG_TIMEOUT") return "timeout";
  return "failed";
}

/**
 * Runs the steps one after the other, each against its own deadline: a step that passes it is
 * recorded as `timeout` (its signal aborted, so its commands are killed) and the next step starts;
 * a step that throws is recorded as `failed` or `skipped`. Never throws for a step's failure.
 * @returns one record per step, in order.
 */
export async function runSteps(steps: readonly DiagStep[], options: RunStepsOptions): Promise<StepRecord[]> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const records: StepRecord[] = [];
  for (const step of steps) {
    const record = await runStep(step, options.dir, clock);
    logger.debug("diagnostics step finished", {
      step: record.name,
      status: record.status,
      ms: record.durationMs,
    });
    records.push(record);
  }
  return records;
}

async function runStep(step: DiagStep, dir: string, clock: Clock): Promise<StepRecord> {
  const started = clock.now();
  const controller = new AbortController();
  const files: string[] = [];
  const notes: string[] = [];
  const place = async (relPath: string): Promise<string> => {
    const rel = normalize(relPath);
    if (rel.startsWith("..") || rel.startsWith("/")) throw new Error(`${relPath} leaves the bundle folder`);
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    if (!files.includes(rel)) files.push(rel);
    return path;
  };
  const ctx: StepContext = {
    signal: controller.signal,
    write: async (relPath, data) => {
      if (controller.signal.aborted) return;
      await writeFile(await place(relPath), data);
    },
    reserve: place,
    note: (text) => {
      notes.push(text);
    },
  };
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = clock.setTimeout(() => resolve("timeout"), step.deadlineMs);
  });
  let status: StepStatus = "ok";
  let error: string | undefined;
  try {
    const work = step.run(ctx).then(() => "done" as const);
    // A step still running at its deadline may fail later, once its commands are killed.
    work.catch(() => {});
    const outcome = await Promise.race([work, deadline]);
    if (outcome === "timeout") {
      status = "timeout";
      error = `did not finish within ${step.deadlineMs} ms`;
    }
  } catch (err) {
    status = statusOf(err);
    error = errorMessage(err)
      .trim()
      .replace(/\s*\n\s*/g, " | ");
  } finally {
    clock.clearTimer(timer);
    controller.abort();
  }
  return {
    name: step.name,
    status,
    durationMs: Math.round(clock.now() - started),
    files: files.filter((f) => existsSync(join(dir, f))),
    ...(error !== undefined ? { error } : {}),
    ...(notes.length > 0 ? { notes: [...notes] } : {}),
  };
}
