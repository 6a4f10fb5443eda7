import { ConfigError, loadConfig } from "../config.ts";
import { type CommandIo, type CommandResult, ExitCode } from "./command-types.ts";

/**
 * `siprec-edge check-config --config FILE`: validates a configuration file and prints every
 * problem as `key: what is wrong; how to fix it`.
 * @returns 0 when valid, 78 (EX_CONFIG) otherwise.
 */
export function checkConfigCommand(file: string, io: CommandIo): CommandResult {
  try {
    const config = loadConfig(file);
    io.out(
      `${file}: OK (appliance ${config.appliance_id}, ${config.sip.listen.join(", ")}, ${config.sinks.length} sink(s))`,
    );
    return ExitCode.Ok;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`${file}: ${err.issues.length} problem(s)`);
    for (const issue of err.issues) io.err(`  ${issue.key}: ${issue.message}`);
    return ExitCode.Config;
  }
}
