import { checkSpoolIntegrity, DiagError, readSpoolStats, type SpoolStats } from "../../tools/index.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { type CommandIo, ExitCode } from "./command-types.ts";

/** Arguments of `siprec-edge spool check`. */
export interface SpoolCheckArgs {
  /** Configuration file naming the spool (`spool.path`). */
  config: string;
  /** The spool file itself, instead of the configuration's. */
  spoolFile?: string;
  /** Only the statistics (fast). */
  statsOnly: boolean;
  /** Only `PRAGMA integrity_check` (slow on a large spool). */
  integrityOnly: boolean;
}

/**
 * `siprec-edge spool check [--config FILE | --spool-file PATH] [--stats | --integrity]`: reads the
 * spool's statistics and runs `PRAGMA integrity_check` directly on its SQLite file, read-only
 * (nothing on disk changes, safe beside the running daemon), and prints
 * `{ "stats": SpoolStats, "integrity": ["ok"] }` as JSON. `diag` runs it as a child process so a
 * long check can be killed at its deadline.
 * @returns 0 when the check passed (or only stats were asked), 1 when the file fails the check or
 *   cannot be opened, 78 for an invalid configuration.
 */
export function spoolCheckCommand(args: SpoolCheckArgs, io: CommandIo): number {
  let path = args.spoolFile;
  if (!path) {
    try {
      path = loadConfig(args.config).spool.path;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) io.err(`${args.config}: ${issue.key}: ${issue.message}`);
      return ExitCode.Config;
    }
  }
  const result: { stats?: SpoolStats; integrity?: string[] } = {};
  try {
    if (!args.integrityOnly) result.stats = readSpoolStats(path);
    if (!args.statsOnly) result.integrity = checkSpoolIntegrity(path);
  } catch (err) {
    if (!(err instanceof DiagError)) throw err;
    io.err(err.message);
    return ExitCode.Failure;
  }
  io.out(JSON.stringify(result, null, 2));
  const sound =
    result.integrity === undefined || (result.integrity.length === 1 && result.integrity[0] === "ok");
  return sound ? ExitCode.Ok : ExitCode.Failure;
}
