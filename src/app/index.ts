/**
 * The composition root: configuration, wiring of every layer, and the CLI commands.
 * @module
 */
export { type App, type AppOptions, startApp } from "./app.ts";
export { checkConfigCommand } from "./commands/check-config.ts";
export type { CommandIo, CommandResult, RunningCommand } from "./commands/command-types.ts";
export { ExitCode } from "./commands/command-types.ts";
export { type DiagArgs, diagCommand } from "./commands/diag.ts";
export { receiveCommand } from "./commands/receive.ts";
export { runCommand } from "./commands/run.ts";
export { simulateCallCommand } from "./commands/simulate-call.ts";
export { type SpoolArgs, spoolCommand } from "./commands/spool.ts";
export { type SpoolCheckArgs, spoolCheckCommand } from "./commands/spool-check.ts";
export { type AppConfig, ConfigError, loadConfig, parseConfig } from "./config.ts";
export { version } from "./version.ts";
