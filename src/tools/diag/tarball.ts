import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { DiagError } from "./errors.ts";
import { runCommand } from "./run-command.ts";

/**
 * The bundle's file name: `siprec-edge-diag-<applianceId>-<UTC yyyymmddThhmmssZ>.tar.gz`.
 * @param when creation time (UTC is used).
 */
export function bundleFileName(applianceId: string, when: Date): string {
  const stamp = when
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const id = applianceId.replace(/[^A-Za-z0-9_.-]/g, "-") || "unknown";
  return `siprec-edge-diag-${id}-${stamp}.tar.gz`;
}

/**
 * Packs `parent/folder` into `outputDir/fileName` with the `tar` CLI (gzip), writing to a hidden
 * temporary name first and renaming it, so a half-written bundle never carries the final name.
 * Files are stored without owner names (`--numeric-owner`).
 * @returns the bundle's path.
 * @throws DiagError `DIAG_TAR` when tar is missing, fails or runs past `timeoutMs`.
 */
export async function writeTarball(
  parent: string,
  folder: string,
  outputDir: string,
  fileName: string,
  timeoutMs = 300_000,
): Promise<string> {
  const final = join(outputDir, fileName);
  const partial = join(outputDir, `.${fileName}.partial`);
  try {
    const result = await runCommand(["tar", "--numeric-owner", "-czf", partial, "-C", parent, folder], {
      timeoutMs,
    });
    if (result.exitCode !== 0) throw new Error(`tar exited with ${result.exitCode}: ${result.stderr.trim()}`);
    await rename(partial, final);
    return final;
  } catch (err) {
    await rm(partial, { force: true });
    throw new DiagError("DIAG_TAR", `cannot write ${final}: ${(err as Error).message}`, { cause: err });
  }
}
