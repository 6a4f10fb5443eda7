import { join } from "node:path";
import { repoRoot } from "./appliance.ts";
import { runChecked, runCommand } from "./deb-root.ts";

/** What {@link buildDeb} builds. */
export interface DebBuild {
  /** Folder the .deb is written to (DEB_OUTDIR). */
  readonly outDir: string;
  /** Package version (DEB_VERSION). @default package.json's version */
  readonly version?: string;
  /** The binary to package (SIPREC_EDGE_BINARY). @default dist/siprec-edge */
  readonly binary?: string;
  /** `make deb ARCH=…` instead of calling scripts/build-deb.sh for the native architecture. */
  readonly makeArch?: string;
}

/**
 * Builds the package the way `make deb` does, from an existing binary (no recompiling),
 * and returns the path of the .deb that the build printed. Compressed with gzip rather than the
 * default xz, which takes half a minute for the 100 MB binary; the package is otherwise the same
 * and bookworm's lintian accepts both (not zstd).
 * @throws Error with the build's output when it fails
 */
export function buildDeb(build: DebBuild): string {
  const env = {
    ...process.env,
    DEB_OUTDIR: build.outDir,
    DEB_COMPRESSION: "gzip",
    ...(build.version ? { DEB_VERSION: build.version } : {}),
    ...(build.binary ? { SIPREC_EDGE_BINARY: build.binary } : {}),
  };
  const argv = build.makeArch
    ? ["make", "--no-print-directory", "-C", repoRoot, "deb", `ARCH=${build.makeArch}`]
    : ["bash", join(repoRoot, "scripts/build-deb.sh")];
  const lines = runChecked(argv, env).stdout.trim().split("\n");
  const deb = lines.at(-1) ?? "";
  return deb.startsWith("/") ? deb : join(repoRoot, deb);
}

/** One field of the .deb's DEBIAN/control (`dpkg-deb --field`). */
export function debField(deb: string, field: string): string {
  return runChecked(["dpkg-deb", "--field", deb, field]).stdout.trim();
}

/** Extracts the file at `path` (e.g. "usr/bin/siprec-edge") from the .deb's data to `dest`. */
export function extractFromDeb(deb: string, path: string, dest: string): void {
  const tar = runCommand([
    "sh",
    "-c",
    `dpkg-deb --fsys-tarfile "$0" | tar -xO "./$1" > "$2"`,
    deb,
    path,
    dest,
  ]);
  if (tar.status !== 0) throw new Error(`cannot extract ${path} from ${deb}: ${tar.stderr}`);
}
