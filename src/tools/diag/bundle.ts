import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type Clock, type Logger, silentLogger, systemClock } from "../../lib/index.ts";
import { buildManifest, type DiagManifest } from "./manifest.ts";
import { scrubBytes, scrubFolder, secretVariants } from "./scrub.ts";
import { type DiagStep, runSteps } from "./step-runner.ts";
import type { DiagVersions } from "./system-steps.ts";
import { bundleFileName, writeTarball } from "./tarball.ts";

/** Options of {@link createDiagBundle}. */
export interface DiagBundleOptions {
  /** Names the bundle (config `appliance_id`). */
  applianceId: string;
  /** Folder the `.tar.gz` is written to. */
  outputDir: string;
  /** Makes the steps, given the bundle folder they write into. */
  steps: (bundleDir: string) => DiagStep[];
  /** Versions for the manifest; the steps may fill in more before the manifest is written. */
  versions: DiagVersions;
  /** Secret values to scrub from every file, asked for after the steps ran (they may find more). */
  secrets: () => readonly string[];
  /** Extra facts for the manifest's `details`, asked for after the steps ran. */
  details?: () => Record<string, unknown>;
  /** Parent of the temporary bundle folder. @default os.tmpdir() */
  tmpRoot?: string;
  /** Wall time the bundle is named after. @default new Date() */
  now?: () => Date;
  clock?: Clock;
  logger?: Logger;
}

/** A written bundle. */
export interface DiagBundle {
  /** Path of the `.tar.gz`. */
  path: string;
  manifest: DiagManifest;
}

/**
 * Collects a diagnostics bundle: runs the steps (each against its deadline) in a fresh temporary
 * folder, overwrites every secret in every file (text and binary), writes `manifest.json` (itself
 * scrubbed) and packs it all into `<outputDir>/siprec-edge-diag-<id>-<UTC stamp>.tar.gz`. The
 * temporary folder is removed in every case.
 * @throws DiagError `DIAG_TAR` when the tarball cannot be written (the only failure that means no bundle).
 */
export async function createDiagBundle(options: DiagBundleOptions): Promise<DiagBundle> {
  const created = (options.now ?? (() => new Date()))();
  const fileName = bundleFileName(options.applianceId, created);
  const folder = fileName.replace(/\.tar\.gz$/, "");
  const tmp = await mkdtemp(join(options.tmpRoot ?? tmpdir(), "siprec-edge-diag-"));
  try {
    const dir = join(tmp, folder);
    await mkdir(dir, { mode: 0o700 });
    const steps = await runSteps(options.steps(dir), {
      dir,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
    });
    const secrets = options.secrets();
    const scrubbed = await scrubFolder(dir, secrets);
    const manifest = buildManifest({
      created,
      host: hostname(),
      applianceId: options.applianceId,
      versions: options.versions,
      steps,
      scrubbed,
      details: options.details?.() ?? {},
    });
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    scrubBytes(manifestBytes, secretVariants(secrets));
    await writeFile(join(dir, "manifest.json"), manifestBytes);
    const path = await writeTarball(tmp, folder, options.outputDir, fileName);
    return { path, manifest };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
