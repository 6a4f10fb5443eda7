import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applianceCommand,
  freePort,
  mediaPortRange,
  type RunningAppliance,
  repoRoot,
  type SpawnedProcess,
  spawnSiprecEdge,
  startAppliance,
  waitFor,
} from "../helpers/appliance.ts";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.ts";
import { createTestPki, type TestPki } from "../helpers/test-pki.ts";

/** Secrets planted in every secret-bearing place of the configuration (and its environment). */
const planted = {
  webToken: "planted-web-token-7c1f0e9a2b",
  mqttPassword: "planted-mqtt-pw-4d8e2a",
  bearer: "planted-bearer-5b3c9d1e",
  urlPassword: "planted-urlpw-8f2a6c",
  webhookKey: "planted-hook-key-1e7d4b",
  xHeader: "planted-x-header-2c9f3a",
};
const secrets = Object.values(planted);

interface Manifest {
  applianceId: string;
  versions: { siprecEdge: string; bun: string; kernel?: string };
  steps: { name: string; status: string; files: string[]; error?: string }[];
}

const expectedSteps = [
  "versions",
  "config",
  "check-config",
  "tls-files",
  "journal",
  "systemctl-status",
  "systemctl-show",
  "api-status",
  "api-metrics",
  "api-calls",
  "api-sip-messages",
  "spool-stats",
  "spool-integrity",
  "ports",
  "addresses",
  "routes",
  "reachability",
  "clock",
  "pcaps",
];

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Runs a command line to the end and returns its exit status and output. */
function run(argv: string[], env: Record<string, string | undefined> = process.env) {
  const [cmd = "", ...args] = argv;
  const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Untars a bundle and returns its folder, its manifest and every file's bytes. */
async function openBundle(path: string, into: string) {
  await mkdir(into, { recursive: true });
  expect(run(["tar", "-xzf", path, "-C", into]).status).toBe(0);
  const [folder = ""] = await readdir(into);
  const root = join(into, folder);
  const manifest = JSON.parse(await readFile(join(root, "manifest.json"), "utf8")) as Manifest;
  const files = await filesBelow(root);
  return { root, folder, manifest, files };
}

async function expectNoSecrets(bundlePath: string, files: string[], more: string[] = []): Promise<void> {
  for (const file of files) {
    const text = (await readFile(file)).toString("latin1");
    for (const secret of [...secrets, ...more])
      expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
  }
  const raw = run(["sh", "-c", `gzip -dc '${bundlePath}' | strings -n 6`]).stdout;
  for (const secret of [...secrets, ...more])
    expect(raw.includes(secret), `${secret} in the raw tar`).toBe(false);
}

function statusOf(manifest: Manifest, name: string): string | undefined {
  return manifest.steps.find((s) => s.name === name)?.status;
}

/** `siprec-edge diag` against a running appliance and a stopped one: one bundle each, no secret in it. */
describe("siprec-edge diag", () => {
  let dir: string;
  let broker: MosquittoBroker;
  let pki: TestPki;
  let appliance: RunningAppliance;
  let receiver: SpawnedProcess;
  let webhook: ReturnType<typeof Bun.serve>;
  let configPath: string;
  let spoolPath: string;
  let keyBody: string;
  const binary = join(repoRoot, "dist/siprec-edge");
  const env = { ...process.env, DIAG_E2E_WEB_TOKEN: planted.webToken, DIAG_E2E_X_HEADER: planted.xHeader };

  beforeAll(async () => {
    expect(applianceCommand(), "run `make build` first").toEqual([binary]);
    dir = await mkdtemp(join(tmpdir(), "siprec-edge-diag-e2e-"));
    process.env.DIAG_E2E_WEB_TOKEN = planted.webToken;
    process.env.DIAG_E2E_X_HEADER = planted.xHeader;
    broker = await startMosquitto({ users: { edge: planted.mqttPassword } });
    pki = await createTestPki({ clientCommonName: "diag" });
    keyBody = (await readFile(pki.serverKey, "utf8")).split("\n")[1] ?? "";
    const receivePort = await freePort();
    receiver = spawnSiprecEdge(
      ["receive", "--listen", `127.0.0.1:${receivePort}`, "--out", join(dir, "received")],
      dir,
    );
    webhook = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({}) });
    const sipPort = await freePort();
    const tlsPort = await freePort();
    const webPort = await freePort();
    const [lo, hi] = mediaPortRange();
    appliance = await startAppliance(
      dir,
      `appliance_id: diag-e2e
sip:
  listen: ["udp:127.0.0.1:${sipPort}", "tls:127.0.0.1:${tlsPort}"]
  tls: { cert: ${pki.serverCert}, key: ${pki.serverKey} }
media: { address: 127.0.0.1, port_range: [${lo}, ${hi}] }
spool: { path: ./spool.db }
sinks:
  - name: ai
    type: websocket
    url: "ws://bob:${planted.urlPassword}@127.0.0.1:${receivePort}/stream"
    mode: interleaved
    headers: { Authorization: "Bearer ${planted.bearer}", X-Extra: "\${DIAG_E2E_X_HEADER}" }
mqtt:
  url: mqtt://127.0.0.1:${broker.port}
  username: edge
  password: ${planted.mqttPassword}
routing:
  new_call_webhook:
    url: http://127.0.0.1:${webhook.port}/new-call
    headers: { X-Api-Key: ${planted.webhookKey} }
web:
  listen: 127.0.0.1:${webPort}
  auth: { token: \${DIAG_E2E_WEB_TOKEN} }
`,
      webPort,
    );
    configPath = join(dir, "config.yaml");
    spoolPath = join(dir, "spool.db");
    const call = spawnSiprecEdge(["simulate-call", "--to", `127.0.0.1:${sipPort}`], dir);
    expect(await call.exited, call.output()).toBe(0);
    await waitFor("the call in /api/calls", async () => {
      const res = await fetch(`${appliance.webUrl}/api/calls`, {
        headers: { authorization: `Bearer ${planted.webToken}` },
      });
      const body = (await res.json()) as { calls: unknown[] };
      return body.calls.length > 0 ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await appliance?.stop();
    await receiver?.stop();
    webhook?.stop(true);
    await broker?.stop();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes one bundle against a running appliance: every step listed, status, spool and redacted config, no secret", async () => {
    const configBefore = await readFile(configPath);
    const spoolFolderBefore = (await readdir(dir)).sort();
    const out = join(dir, "out-running");
    await mkdir(out);
    const started = performance.now();
    const r = run([binary, "diag", "--config", configPath, "--output", out], env);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    expect(r.status, r.stderr).toBe(0);
    const path = r.stdout.trim();
    expect(path).toMatch(/siprec-edge-diag-diag-e2e-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(await readdir(out)).toHaveLength(1);
    const { root, manifest, files } = await openBundle(path, join(dir, "x-running"));
    console.info(`diag against a running appliance: ${seconds} s\n${r.stderr}`);
    expect(manifest.applianceId).toBe("diag-e2e");
    expect(manifest.versions.bun).toBeTruthy();
    expect(manifest.steps.map((s) => s.name)).toEqual(expectedSteps);
    for (const step of [
      "versions",
      "config",
      "check-config",
      "tls-files",
      "api-status",
      "api-metrics",
      "api-calls",
    ])
      expect(statusOf(manifest, step), step).toBe("ok");
    for (const step of ["spool-stats", "spool-integrity", "ports", "addresses", "routes", "reachability"])
      expect(statusOf(manifest, step), step).toBe("ok");
    for (const step of manifest.steps) expect(["ok", "failed", "timeout", "skipped"]).toContain(step.status);
    expect(["ok", "skipped"]).toContain(statusOf(manifest, "api-sip-messages"));
    const status = JSON.parse(await readFile(join(root, "api/status.json"), "utf8")) as { health: unknown };
    expect(status.health).toBeTruthy();
    const spool = JSON.parse(await readFile(join(root, "spool/stats.json"), "utf8")) as {
      stats: { rows: Record<string, number>; schemaVersion: number; openMode: string };
    };
    expect(spool.stats.rows.calls).toBeGreaterThan(0);
    expect(spool.stats.openMode).toBe("shared-read-only");
    const integrity = JSON.parse(await readFile(join(root, "spool/integrity.json"), "utf8")) as {
      integrity: string[];
    };
    expect(integrity.integrity).toEqual(["ok"]);
    const redacted = await readFile(join(root, "config/config.redacted.yaml"), "utf8");
    expect(redacted).toContain(`\${DIAG_E2E_WEB_TOKEN}`);
    expect(redacted).toContain("Bearer ***");
    expect(redacted).toContain(pki.serverKey);
    const reach = JSON.parse(await readFile(join(root, "network/reachability.json"), "utf8")) as {
      name: string;
      tcp?: { ok: boolean };
    }[];
    expect(reach.map((t) => [t.name, t.tcp?.ok])).toEqual([
      ["mqtt", true],
      ["sink ai", true],
      ["new_call_webhook", true],
    ]);
    await expectNoSecrets(path, files, [keyBody]);
    expect(await readFile(configPath)).toEqual(configBefore);
    expect((await readdir(dir)).filter((f) => !f.startsWith("out-") && !f.startsWith("x-")).sort()).toEqual(
      spoolFolderBefore,
    );
  }, 240_000);

  it("still writes a bundle once the appliance is stopped: API steps failed, spool read without changing it", async () => {
    await appliance.stop();
    const spoolBefore = sha256(await readFile(spoolPath));
    const configBefore = await readFile(configPath);
    const folderBefore = (await readdir(dir)).sort();
    const out = join(dir, "out-stopped");
    await mkdir(out);
    const started = performance.now();
    const r = run([binary, "diag", "--config", configPath, "--output", out, "--pcaps", "3"], env);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.info(`diag against a stopped appliance: ${seconds} s`);
    expect(r.status, r.stderr).toBe(0);
    const path = r.stdout.trim();
    const { root, manifest, files } = await openBundle(path, join(dir, "x-stopped"));
    expect(manifest.steps.map((s) => s.name)).toEqual(expectedSteps);
    for (const step of ["api-status", "api-metrics", "api-calls", "api-sip-messages"]) {
      expect(statusOf(manifest, step), step).toBe("failed");
      expect(manifest.steps.find((s) => s.name === step)?.error).toMatch(/running/);
    }
    expect(statusOf(manifest, "spool-stats")).toBe("ok");
    expect(statusOf(manifest, "spool-integrity")).toBe("ok");
    const spool = JSON.parse(await readFile(join(root, "spool/stats.json"), "utf8")) as {
      stats: { openMode: string; rows: Record<string, number> };
    };
    expect(spool.stats.openMode).toBe("immutable");
    expect(spool.stats.rows.calls).toBeGreaterThan(0);
    await expectNoSecrets(path, files, [keyBody]);
    expect(sha256(await readFile(spoolPath))).toBe(spoolBefore);
    expect(await readFile(configPath)).toEqual(configBefore);
    const added = (await readdir(dir)).filter((f) => !folderBefore.includes(f));
    expect(added.filter((f) => !f.startsWith("x-") && !f.startsWith("out-"))).toEqual([]);
  }, 240_000);

  it("runs through scripts/siprec-edge-diag with SIPREC_EDGE_BIN, and falls back to a minimal bundle when the binary cannot run", async () => {
    const out = join(dir, "out-script");
    await mkdir(out);
    const script = join(repoRoot, "scripts/siprec-edge-diag");
    const r = run(["sh", script, "--config", configPath, "--output", out], {
      ...env,
      SIPREC_EDGE_BIN: binary,
    });
    expect(r.status, r.stderr).toBe(0);
    const { manifest, files } = await openBundle(r.stdout.trim(), join(dir, "x-script"));
    expect(manifest.steps.map((s) => s.name)).toEqual(expectedSteps);
    await expectNoSecrets(r.stdout.trim(), files, [keyBody]);

    const broken = join(dir, "broken-bin");
    await writeFile(broken, "#!/bin/sh\nkill -SEGV $$\n", { mode: 0o755 });
    const fallbackOut = join(dir, "out-fallback");
    await mkdir(fallbackOut);
    const f = run(["sh", script, "--config", configPath, "--output", fallbackOut], {
      ...env,
      SIPREC_EDGE_BIN: broken,
    });
    expect(f.status, f.stderr).toBe(0);
    const fallback = await openBundle(f.stdout.trim(), join(dir, "x-fallback"));
    expect((fallback.manifest as unknown as { fallback: boolean }).fallback).toBe(true);
    expect(fallback.files.map((p) => p.slice(fallback.root.length + 1)).sort()).toEqual([
      "failure.txt",
      "journal.txt",
      "manifest.json",
      "systemctl-status.txt",
    ]);
  }, 240_000);
});
