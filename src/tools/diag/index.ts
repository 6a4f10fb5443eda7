/**
 * `siprec-edge diag`: the support bundle's building blocks (DESIGN.md §7 "Diagnostics"): steps with
 * deadlines, secret redaction and scrubbing, read-only spool inspection, reachability probes,
 * system collectors and the tarball.
 * @module
 */
export { apiStep, type DaemonApi, fetchCallCaptures, fetchFromDaemon } from "./api-steps.ts";
export { createDiagBundle, type DiagBundle, type DiagBundleOptions } from "./bundle.ts";
export { type CaptureStepOptions, captureFilter, captureStep } from "./capture.ts";
export { DiagError, type DiagErrorCode } from "./errors.ts";
export { buildManifest, bundleFormatVersion, type DiagManifest, type ManifestInput } from "./manifest.ts";
export { type PcapsStepOptions, pcapsStep } from "./pcaps.ts";
export {
  type Endpoint,
  parseEndpoint,
  probeSipOptions,
  probeTarget,
  type ReachResult,
  type ReachTarget,
} from "./reachability.ts";
export {
  type ConfigRedaction,
  isSecretKey,
  redactConfigLines,
  redactConfigText,
  redactEnvironmentLines,
  redactedMark,
  secretsOf,
} from "./redact.ts";
export { type CommandOutput, type RunCommandOptions, runCommand } from "./run-command.ts";
export { scrubBytes, scrubFolder, secretVariants } from "./scrub.ts";
export {
  checkSpoolIntegrity,
  openSpoolReadOnly,
  readSpoolStats,
  type SpoolOpenMode,
  type SpoolStats,
} from "./spool-inspect.ts";
export {
  type DiagStep,
  type RunStepsOptions,
  runSteps,
  type StepContext,
  type StepRecord,
  type StepStatus,
  skipStep,
} from "./step-runner.ts";
export {
  type CommandStepOptions,
  clockStep,
  commandStep,
  type DiagVersions,
  parseOsRelease,
  portsStep,
  runInto,
  versionsStep,
} from "./system-steps.ts";
export { bundleFileName, writeTarball } from "./tarball.ts";
