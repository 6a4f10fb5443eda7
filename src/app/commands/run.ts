import type { LogLevel } from "../../lib/index.ts";
import { createLogger } from "../../lib/index.ts";
import { startApp } from "../app.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { version } from "../version.ts";
import { type CommandIo, type CommandResult, ExitCode } from "./command-types.ts";
import { untilStopped } from "./until-stopped.ts";

/**
 * `siprec-edge run --config FILE`: runs the appliance until stopped.
 * @returns 78 (EX_CONFIG) for an invalid configuration, 1 when a component cannot start
 *   (a port in use, an unwritable spool), else a running command that exits 0 after `stop()`.
 */
export async function runCommand(file: string, io: CommandIo): Promise<CommandResult> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) io.err(`${file}: ${issue.key}: ${issue.message}`);
    return ExitCode.Config;
  }
  const logger = createLogger({ level: config.log.level as LogLevel });
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp({ config, version, logger, configPath: file });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "START_FAILED";
    logger.error("siprec-edge could not start", { code, error: (err as Error).message });
    io.err(`siprec-edge could not start: ${(err as Error).message}`);
    return ExitCode.Failure;
  }
  return untilStopped(
    () => app.stop(),
    () => app.reloadConfig(),
  );
}
