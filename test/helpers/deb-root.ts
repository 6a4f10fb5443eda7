import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./appliance.ts";

/** The debootstrapped bookworm root that every test copies (made once by scripts/make-test-root.sh). */
export const testRootCache = join(repoRoot, "var/test-root/bookworm");

/** Exit status and output of a command. */
export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Owner, group, octal mode (e.g. "640") and kind ("regular file", "directory", "symbolic link"). */
export interface InstalledFile {
  readonly owner: string;
  readonly group: string;
  readonly mode: string;
  readonly kind: string;
}

/**
 * Runs `argv` to completion with stdin closed, so an interactive prompt (dpkg asking about a
 * conffile) fails instead of hanging.
 */
export function runCommand(argv: readonly string[], env?: NodeJS.ProcessEnv): CommandResult {
  const [command, ...args] = argv;
  if (!command) throw new Error("runCommand needs a command");
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
    ...(env ? { env } : {}),
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Like {@link runCommand}, but throws with the command's output unless it exits 0. */
export function runChecked(argv: readonly string[], env?: NodeJS.ProcessEnv): CommandResult {
  const result = runCommand(argv, env);
  if (result.status !== 0) {
    throw new Error(`${argv.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/**
 * A throwaway copy of the cached Debian root with /proc mounted (the Bun runtime finds its
 * embedded application through /proc/self/exe). Commands run in it with chroot(8), as root.
 */
export class DebianTestRoot {
  /** Host path of the root. */
  readonly dir: string;
  readonly #parent: string;

  private constructor(parent: string) {
    this.#parent = parent;
    this.dir = join(parent, "root");
  }

  /**
   * Copies the cache into a new temp folder and mounts /proc in it.
   * @throws Error naming the command that creates the cache when it is missing
   */
  static create(): DebianTestRoot {
    if (!existsSync(join(testRootCache, ".siprec-edge-test-root"))) {
      throw new Error(
        `no Debian test root in ${testRootCache}: create it once with \`bash scripts/make-test-root.sh\` (needs root, debootstrap and the network)`,
      );
    }
    const root = new DebianTestRoot(mkdtempSync(join(tmpdir(), "siprec-edge-deb-")));
    runChecked(["cp", "-a", "--reflink=auto", testRootCache, root.dir]);
    runChecked(["mount", "-t", "proc", "proc", root.path("/proc")]);
    return root;
  }

  /** Host path of `path` inside the root. */
  path(path: string): string {
    return join(this.dir, path);
  }

  /** Runs `argv` inside the root, as root or as `user` (which is also the group). */
  run(argv: readonly string[], user?: string): CommandResult {
    const userspec = user ? [`--userspec=${user}:${user}`] : [];
    return runCommand(["chroot", ...userspec, this.dir, ...argv], {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      LANG: "C",
    });
  }

  /** Copies a host file into the root's /tmp and returns its path inside the root. */
  copyIn(hostPath: string, name: string): string {
    runChecked(["cp", hostPath, this.path(`/tmp/${name}`)]);
    return `/tmp/${name}`;
  }

  /** Owner and mode of `path` as the root's own user database names them; undefined when absent. */
  stat(path: string): InstalledFile | undefined {
    const result = this.run(["stat", "--format=%U|%G|%a|%F", path]);
    if (result.status !== 0) return undefined;
    const [owner = "", group = "", mode = "", kind = ""] = result.stdout.trim().split("|");
    return { owner, group, mode, kind };
  }

  /** dpkg's view of `pkg`: "install ok installed 0.5.0", or "not installed" when dpkg knows nothing of it. */
  dpkgStatus(pkg: string): string {
    const result = this.run(["dpkg-query", "--show", `--showformat=\${Status} \${Version}`, pkg]);
    return result.status === 0 ? result.stdout.trim() : "not installed";
  }

  /** Text of a file inside the root. */
  readText(path: string): string {
    return readFileSync(this.path(path), "utf8");
  }

  /** Unmounts /proc and deletes the copy (only after /proc is gone, so nothing outside is touched). */
  dispose(): void {
    const proc = this.path("/proc");
    if (readFileSync("/proc/self/mounts", "utf8").includes(` ${proc} `)) {
      const umount = runCommand(["umount", proc]);
      if (umount.status !== 0) runChecked(["umount", "--lazy", proc]);
    }
    rmSync(this.#parent, { recursive: true, force: true });
  }
}
