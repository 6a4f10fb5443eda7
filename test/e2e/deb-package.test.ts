import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/appliance.ts";
import { buildDeb, debField, extractFromDeb } from "../helpers/deb-build.ts";
import { DebianTestRoot, runCommand } from "../helpers/deb-root.ts";

const version: string = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version;
const upgradeVersion = `${version}+test1`;
const distBinary = join(repoRoot, "dist/siprec-edge");
const outDir = mkdtempSync(join(tmpdir(), "siprec-edge-debs-"));
/** dist/siprec-edge as it was when the test started (a concurrent `make build` may replace it). */
const binary = join(outDir, "siprec-edge");
const conffile = "/etc/siprec-edge/config.yaml";
const state = "/var/lib/siprec-edge";
const enabledLink = "/etc/systemd/system/multi-user.target.wants/siprec-edge.service";
const maskLink = "/etc/systemd/system/siprec-edge.service";
const editedId = "appliance_id: rack-7-edited-locally";
const plantedSpool = "spool bytes the sinks are still owed\n";

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The siprec-edge line of the root's /etc/passwd, split into its fields. */
function passwdEntries(root: DebianTestRoot): string[][] {
  return root
    .readText("/etc/passwd")
    .split("\n")
    .filter((line) => line.startsWith("siprec-edge:"))
    .map((line) => line.split(":"));
}

let deb: string;
let upgradeDeb: string;
let shippedConfig: string;

beforeAll(() => {
  if (!existsSync(distBinary)) throw new Error(`${distBinary} is missing: run make build`);
  copyFileSync(distBinary, binary);
  shippedConfig = readFileSync(join(repoRoot, "packaging/config.example.yaml"), "utf8");
  deb = buildDeb({ outDir, binary });
  upgradeDeb = buildDeb({ outDir, binary, version: upgradeVersion });
}, 90_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/**
 * The package's life on a box: install, upgrade over a locally edited config, remove, purge, in a
 * copy of a debootstrapped bookworm root (no systemd running, as in an image build).
 */
describe(`siprec-edge_${version}_amd64.deb in a throwaway Debian bookworm root`, () => {
  let root: DebianTestRoot;

  beforeAll(() => {
    root = DebianTestRoot.create();
  });

  afterAll(() => root?.dispose());

  it("is named after the version and architecture and passes lintian with no error or warning", () => {
    expect(deb).toBe(join(outDir, `siprec-edge_${version}_amd64.deb`));
    const lintian = runCommand(["lintian", "--fail-on", "error,warning", deb]);
    expect(lintian.stdout).not.toMatch(/^[EW]: /m);
    expect(lintian.status).toBe(0);
  }, 60_000);

  it("installs the unstripped binary, diag, unit, conffile, docs and man pages with the right owners and modes", () => {
    const install = root.run(["dpkg", "--install", root.copyIn(deb, "siprec-edge.deb")]);
    expect(install.stderr).toBe("");
    expect(install.status).toBe(0);
    expect(root.dpkgStatus("siprec-edge")).toBe(`install ok installed ${version}`);

    expect(root.stat("/usr/bin/siprec-edge")).toEqual({
      owner: "root",
      group: "root",
      mode: "755",
      kind: "regular file",
    });
    expect(sha256(root.path("/usr/bin/siprec-edge"))).toBe(sha256(binary));
    expect(root.run(["/usr/bin/siprec-edge", "version"]).stdout.trim()).toBe(version);
    expect(root.stat("/usr/sbin/siprec-edge-diag")).toMatchObject({ owner: "root", mode: "755" });
    expect(root.stat("/lib/systemd/system/siprec-edge.service")).toMatchObject({
      owner: "root",
      mode: "644",
    });
    expect(root.readText("/lib/systemd/system/siprec-edge.service")).toBe(
      readFileSync(join(repoRoot, "systemd/siprec-edge.service"), "utf8"),
    );
    expect(root.readText(conffile)).toBe(shippedConfig);
    expect(root.run(["dpkg-query", "--show", `--showformat=\${Conffiles}`, "siprec-edge"]).stdout).toContain(
      conffile,
    );

    const changelog = gunzipSync(
      readFileSync(root.path("/usr/share/doc/siprec-edge/changelog.gz")),
    ).toString();
    expect(changelog).toBe(readFileSync(join(repoRoot, "packaging/debian/changelog"), "utf8"));
    expect(root.readText("/usr/share/doc/siprec-edge/copyright")).toContain("License: proprietary");
    expect(root.stat("/usr/share/man/man1/siprec-edge.1.gz")).toMatchObject({ mode: "644" });
    expect(root.stat("/usr/share/man/man8/siprec-edge-diag.8.gz")).toMatchObject({ mode: "644" });
  });

  it("creates the siprec-edge system user with its spool folder, and lets only that group read the config", () => {
    const [entry] = passwdEntries(root);
    expect(entry?.[5]).toBe(state);
    expect(entry?.[6]).toBe("/usr/sbin/nologin");
    expect(Number(entry?.[2])).toBeLessThan(1000);
    expect(root.stat(state)).toEqual({
      owner: "siprec-edge",
      group: "siprec-edge",
      mode: "750",
      kind: "directory",
    });
    expect(root.stat(conffile)).toEqual({
      owner: "root",
      group: "siprec-edge",
      mode: "640",
      kind: "regular file",
    });
  });

  it("accepts the installed default config when the service user checks it", () => {
    const check = root.run(["/usr/bin/siprec-edge", "check-config", "--config", conffile], "siprec-edge");
    expect(check.stderr).toBe("");
    expect(check.stdout).toContain(`${conffile}: OK`);
    expect(check.status).toBe(0);
  });

  it("enables the unit for the next boot without starting anything where systemd is not running", () => {
    expect(readlinkSync(root.path(enabledLink))).toBe("/lib/systemd/system/siprec-edge.service");
  });

  it("upgrades over a locally edited config and a filled spool, keeping both", () => {
    const edited = root.readText(conffile).replace(/^appliance_id: .*$/m, editedId);
    expect(edited).toContain(editedId);
    writeFileSync(root.path(conffile), edited);
    writeFileSync(root.path(`${state}/spool.db`), plantedSpool);
    root.run(["chown", "siprec-edge:siprec-edge", `${state}/spool.db`]);

    const upgrade = root.run(["dpkg", "--install", root.copyIn(upgradeDeb, "siprec-edge-upgrade.deb")]);
    expect(upgrade.stderr).toBe("");
    expect(upgrade.status).toBe(0);
    expect(root.dpkgStatus("siprec-edge")).toBe(`install ok installed ${upgradeVersion}`);

    expect(root.readText(conffile)).toBe(edited);
    expect(existsSync(root.path(`${conffile}.dpkg-new`))).toBe(false);
    expect(existsSync(root.path(`${conffile}.dpkg-dist`))).toBe(false);
    expect(root.stat(conffile)).toMatchObject({ owner: "root", group: "siprec-edge", mode: "640" });
    expect(root.readText(`${state}/spool.db`)).toBe(plantedSpool);
    expect(root.stat(state)).toMatchObject({ owner: "siprec-edge", mode: "750" });
    expect(passwdEntries(root)).toHaveLength(1);
    const check = root.run(["/usr/bin/siprec-edge", "check-config", "--config", conffile], "siprec-edge");
    expect(check.stdout).toContain("appliance rack-7-edited-locally");
  });

  it("removes the programs but keeps the config, the spool and the user", () => {
    const remove = root.run(["dpkg", "--remove", "siprec-edge"]);
    expect(remove.stderr).toBe("");
    expect(remove.status).toBe(0);
    expect(root.dpkgStatus("siprec-edge")).toBe(`deinstall ok config-files ${upgradeVersion}`);

    expect(root.stat("/usr/bin/siprec-edge")).toBeUndefined();
    expect(root.stat("/usr/sbin/siprec-edge-diag")).toBeUndefined();
    expect(root.stat("/lib/systemd/system/siprec-edge.service")).toBeUndefined();
    expect(root.readText(conffile)).toContain(editedId);
    expect(root.readText(`${state}/spool.db`)).toBe(plantedSpool);
    expect(passwdEntries(root)).toHaveLength(1);
    expect(readlinkSync(root.path(maskLink))).toBe("/dev/null");
  });

  it("purges the config, the spool and the unit's links, and leaves the system user in place", () => {
    const purge = root.run(["dpkg", "--purge", "siprec-edge"]);
    expect(purge.stderr).toBe("");
    expect(purge.status).toBe(0);
    expect(root.dpkgStatus("siprec-edge")).toBe("not installed");

    expect(existsSync(root.path("/etc/siprec-edge"))).toBe(false);
    expect(existsSync(root.path(state))).toBe(false);
    expect(() => lstatSync(root.path(enabledLink))).toThrow();
    expect(() => lstatSync(root.path(maskLink))).toThrow();
    expect(root.run(["dpkg-statoverride", "--list", conffile]).stdout).toBe("");
    expect(passwdEntries(root)).toHaveLength(1);
  });
});

describe("package metadata and other architectures", () => {
  it("depends on libc6 at least as new as every glibc symbol version the binary uses, and on libsystemd0", () => {
    const depends = debField(deb, "Depends");
    expect(depends).toMatch(/^libc6 \(>= [0-9.]+\), libsystemd0$/);
    const declared = /libc6 \(>= ([0-9.]+)\)/.exec(depends)?.[1] ?? "";
    const needed = runCommand(["readelf", "--dynamic", binary]).stdout.match(/\[[^\]]+\.so[^\]]*\]/g) ?? [];
    expect(needed.sort()).toEqual([
      "[ld-linux-x86-64.so.2]",
      "[libc.so.6]",
      "[libdl.so.2]",
      "[libm.so.6]",
      "[libpthread.so.0]",
    ]);
    const used = runCommand(["objdump", "-T", binary]).stdout.match(/GLIBC_[0-9.]+/g) ?? [];
    const newest =
      used
        .map((v) => v.slice("GLIBC_".length))
        .sort(compareVersions)
        .at(-1) ?? "";
    expect(compareVersions(newest, declared)).toBeLessThanOrEqual(0);
  });

  it("names the maintainer of the changelog, the net section and an installed size in KiB", () => {
    expect(debField(deb, "Maintainer")).toBe("siprec-edge engineers <eng@siprec-edge.local>");
    expect(debField(deb, "Section")).toBe("net");
    expect(Number(debField(deb, "Installed-Size"))).toBeGreaterThan(statSync(binary).size / 1024);
  });

  it("cross-builds an arm64 package with make deb ARCH=arm64 whose binary is an aarch64 executable", () => {
    const arm = buildDeb({ outDir, makeArch: "arm64" });
    expect(arm).toBe(join(outDir, `siprec-edge_${version}_arm64.deb`));
    expect(debField(arm, "Architecture")).toBe("arm64");
    const armBinary = join(outDir, "siprec-edge-arm64");
    extractFromDeb(arm, "usr/bin/siprec-edge", armBinary);
    expect(runCommand(["file", "--brief", armBinary]).stdout).toMatch(
      /^ELF 64-bit LSB executable, ARM aarch64, .*not stripped/,
    );
  }, 120_000);

  it("refuses an architecture Bun cannot compile for, saying which ones it can", () => {
    const build = runCommand(["bash", join(repoRoot, "scripts/build-deb.sh"), "--arch", "i386"]);
    expect(build.status).not.toBe(0);
    expect(build.stdout).toBe("");
    expect(build.stderr).toContain(
      'architecture "i386" is not supported: Bun compiles for amd64 and arm64 only',
    );
  });
});

/** Orders dotted version numbers ("2.17" < "2.34"). */
function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
