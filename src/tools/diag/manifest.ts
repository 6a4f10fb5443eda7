import type { StepRecord, StepStatus } from "./step-runner.ts";
import type { DiagVersions } from "./system-steps.ts";

/** Version of the bundle layout and of `manifest.json`; raised when either changes incompatibly. */
export const bundleFormatVersion = 1;

/** `manifest.json` at the top of every bundle: what was collected, how each step went. */
export interface DiagManifest {
  format: "siprec-edge-diag";
  formatVersion: number;
  /** When the bundle was started, ISO 8601 UTC. */
  created: string;
  host: string;
  applianceId: string;
  versions: DiagVersions;
  /** Steps by status, e.g. `{ ok: 14, failed: 2, timeout: 0, skipped: 1 }`. */
  summary: Record<StepStatus, number>;
  steps: StepRecord[];
  /** Per file, how many secret occurrences the safety net overwrote after the steps ran. */
  scrubbed: Record<string, number>;
  /** Command-specific facts (configuration file, redaction mode, options). */
  details: Record<string, unknown>;
}

/** Fields of {@link buildManifest}. */
export interface ManifestInput {
  created: Date;
  host: string;
  applianceId: string;
  versions: DiagVersions;
  steps: StepRecord[];
  scrubbed: Record<string, number>;
  details?: Record<string, unknown>;
}

/** Builds the manifest, counting the steps by status. */
export function buildManifest(input: ManifestInput): DiagManifest {
  const summary: Record<StepStatus, number> = { ok: 0, failed: 0, timeout: 0, skipped: 0 };
  for (const step of input.steps) summary[step.status] += 1;
  return {
    format: "siprec-edge-diag",
    formatVersion: bundleFormatVersion,
    created: input.created.toISOString(),
    host: input.host,
    applianceId: input.applianceId,
    versions: input.versions,
    summary,
    steps: input.steps,
    scrubbed: input.scrubbed,
    details: input.details ?? {},
  };
}
