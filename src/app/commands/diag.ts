import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import {
  apiStep,
  captureStep,
  clockStep,
  commandStep,
  createDiagBundle,
  DiagError,
  type DiagStep,
  type DiagVersions,
  fetchCallCaptures,
  isSecretKey,
  pcapsStep,
  portsStep,
  probeTarget,
  redactConfigText,
  redactEnvironmentLines,
  runCommand,
  runInto,
  secretsOf,
  skipStep,
  versionsStep,
} from "../../tools/index.ts";
import { type AppConfig, ConfigError, loadConfig } from "../config.ts";
import { version } from "../version.ts";
import { type CommandIo, ExitCode } from "./command-types.ts";
import { type DiagTargets, daemonEnvironment, diagTargets, parseLoose } from "./diag-targets.ts";

/** Arguments of `siprec-edge diag`. */
export interface DiagArgs {
  /** Configuration file. */
  config: string;
  /** Folder the bundle is written to. */
  outputDir: string;
  /** Newest per-call pcaps to include. */
  pcaps: number;
  /** Seconds of tcpdump of the SIP and media ports; 0 or undefined: none. */
  captureSeconds?: number;
}

/** Total size of the per-call pcaps copied into a bundle, bytes. */
const pcapCapBytes = 100 * 1024 * 1024;
/** Deadline of `PRAGMA integrity_check` (run in a child process, killed after it), ms. */
const integrityDeadlineMs = 180_000;

/** `siprec-edge` as a command line: the compiled binary itself, or Bun with the entry script. */
function selfCommand(): string[] {
  return Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/")
    ? [process.execPath]
    : [process.execPath, Bun.main];
}

/** What the plan knows about the configuration, and the secrets to scrub. */
interface ConfigFacts {
  text?: string;
  readError?: string;
  config?: AppConfig;
  issues?: string[];
  targets: DiagTargets;
  secrets: Set<string>;
  /** The environment `${…}` resolve from: this process's, overlaid with the daemon's. */
  env: Record<string, string | undefined>;
  envNote: string;
}

async function configFacts(file: string): Promise<ConfigFacts> {
  const daemon = await daemonEnvironment();
  const env = { ...process.env, ...daemon.env };
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(daemon.env)) if (isSecretKey(name)) secrets.add(value);
  let text: string | undefined;
  let readError: string | undefined;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    readError = (err as Error).message;
  }
  let config: AppConfig | undefined;
  let issues: string[] | undefined;
  try {
    config = loadConfig(file, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues = err.issues.map((i) => `${i.key}: ${i.message}`);
  }
  const doc = config ?? (text !== undefined ? parseLoose(text, env) : undefined);
  for (const s of secretsOf(doc)) secrets.add(s);
  if (text !== undefined) for (const s of redactConfigText(text, env).secrets) secrets.add(s);
  return {
    ...(text !== undefined ? { text } : {}),
    ...(readError ? { readError } : {}),
    ...(config ? { config } : {}),
    ...(issues ? { issues } : {}),
    targets: diagTargets(doc, file),
    secrets,
    env,
    envNote: daemon.note,
  };
}

function configSteps(file: string, facts: ConfigFacts): DiagStep[] {
  return [
    {
      name: "config",
      deadlineMs: 10_000,
      run: async (ctx) => {
        if (facts.text === undefined) throw new Error(`cannot read ${file}: ${facts.readError ?? "unknown"}`);
        const redaction = redactConfigText(facts.text, facts.env);
        await ctx.write("config/config.redacted.yaml", redaction.text);
        await ctx.write(
          "config/redaction.json",
          `${JSON.stringify({ file, mode: redaction.mode, parseError: redaction.parseError, redacted: redaction.redacted }, null, 2)}\n`,
        );
        ctx.note(facts.envNote);
        if (redaction.mode === "lines")
          ctx.note(`YAML did not parse (${redaction.parseError}); redacted line by line`);
      },
    },
    {
      name: "check-config",
      deadlineMs: 10_000,
      run: async (ctx) => {
        if (facts.config) {
          const c = facts.config;
          await ctx.write(
            "config/check-config.txt",
            `${file}: OK (appliance ${c.appliance_id}, ${c.sip.listen.join(", ")}, ${c.sinks.length} sink(s))\n`,
          );
          return;
        }
        const issues = facts.issues ?? [];
        await ctx.write(
          "config/check-config.txt",
          `${file}: ${issues.length} problem(s)\n${issues.map((i) => `  ${i}\n`).join("")}`,
        );
        throw new Error(`the configuration has ${issues.length} problem(s), see config/check-config.txt`);
      },
    },
    {
      name: "tls-files",
      deadlineMs: 10_000,
      run: async (ctx) => {
        const files = tlsFiles(facts.config);
        if (files.length === 0) skipStep("no TLS files configured");
        const report = files.map(([key, path]) => describePem(key, path));
        await ctx.write("config/tls-files.json", `${JSON.stringify(report, null, 2)}\n`);
      },
    },
  ];
}

function tlsFiles(config: AppConfig | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [section, tls] of [
    ["sip.tls", config?.sip.tls],
    ["mqtt.tls", config?.mqtt?.tls],
  ] as const) {
    for (const key of ["cert", "ca", "key"] as const) {
      const path = tls?.[key];
      if (path) out.push([`${section}.${key}`, path]);
    }
  }
  return out;
}

/** A PEM file's facts: certificates' subject and expiry; for a key only that it exists (its content is never read). */
function describePem(key: string, path: string): Record<string, unknown> {
  if (!existsSync(path)) return { key, path, exists: false };
  const st = statSync(path);
  const base = { key, path, exists: true, bytes: st.size, mode: (st.mode & 0o777).toString(8) };
  if (key.endsWith(".key")) return base;
  try {
    const cert = new X509Certificate(readFileSync(path));
    const validTo = new Date(cert.validTo);
    return {
      ...base,
      subject: cert.subject.replace(/\n/g, ", "),
      issuer: cert.issuer.replace(/\n/g, ", "),
      subjectAltName: cert.subjectAltName,
      validTo: validTo.toISOString(),
      daysLeft: Math.floor((validTo.getTime() - Date.now()) / 86_400_000),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  }
}

function systemSteps(facts: ConfigFacts): DiagStep[] {
  return [
    commandStep(
      "journal",
      "system/journal.txt",
      [
        "journalctl",
        "-u",
        "siprec-edge",
        "--since",
        "-24h",
        "-n",
        "20000",
        "--no-pager",
        "-o",
        "short-iso-precise",
      ],
      { deadlineMs: 60_000 },
    ),
    commandStep(
      "systemctl-status",
      "system/systemctl-status.txt",
      ["systemctl", "status", "siprec-edge", "--no-pager", "--full", "-n", "50"],
      {
        okExitCodes: [3],
      },
    ),
    {
      name: "systemctl-show",
      deadlineMs: 15_000,
      run: async (ctx) => {
        const r = await runCommand(["systemctl", "show", "siprec-edge", "--no-pager"], {
          timeoutMs: 10_000,
          signal: ctx.signal,
        }).catch((err) => {
          if ((err as DiagError).code === "DIAG_COMMAND_MISSING") skipStep((err as DiagError).message);
          throw err;
        });
        const { text, secrets } = redactEnvironmentLines(r.stdout.toString("utf8"));
        for (const s of secrets) facts.secrets.add(s);
        await ctx.write(
          "system/systemctl-show.txt",
          `${text}${r.stderr ? `\n--- stderr ---\n${r.stderr}` : ""}`,
        );
        if (r.exitCode !== 0)
          throw new DiagError(
            "DIAG_COMMAND_FAILED",
            `systemctl show exited with ${r.exitCode}: ${r.stderr.trim()}`,
          );
      },
    },
  ];
}

function apiSteps(targets: DiagTargets): DiagStep[] {
  const api = targets.api;
  return [
    apiStep("api-status", api, "/api/status", "api/status.json"),
    apiStep("api-metrics", api, "/metrics", "api/metrics.txt"),
    apiStep("api-calls", api, "/api/calls?limit=200", "api/calls.json"),
    apiStep("api-sip-messages", api, "/api/sip/messages", "api/sip-messages.json"),
  ];
}

function spoolSteps(targets: DiagTargets): DiagStep[] {
  const child = (
    mode: "--stats" | "--integrity",
    deadlineMs: number,
    file: string,
    name: string,
  ): DiagStep => ({
    name,
    deadlineMs,
    run: async (ctx) => {
      if (!existsSync(targets.spoolPath)) skipStep(`no spool at ${targets.spoolPath}`);
      await runInto(
        ctx,
        file,
        [...selfCommand(), "spool", "check", "--spool-file", targets.spoolPath, mode],
        {
          timeoutMs: deadlineMs,
        },
      );
    },
  });
  return [
    child("--stats", 60_000, "spool/stats.json", "spool-stats"),
    child("--integrity", integrityDeadlineMs, "spool/integrity.json", "spool-integrity"),
  ];
}

function networkSteps(targets: DiagTargets): DiagStep[] {
  return [
    portsStep(),
    commandStep("addresses", "network/ip-addr.txt", ["ip", "-br", "addr"]),
    {
      name: "routes",
      deadlineMs: 15_000,
      run: async (ctx) => {
        await runInto(ctx, "network/ip-route.txt", ["ip", "route"], { timeoutMs: 5000 });
        await runInto(ctx, "network/ip-6-route.txt", ["ip", "-6", "route"], { timeoutMs: 5000 });
      },
    },
    {
      name: "reachability",
      deadlineMs: 30_000,
      run: async (ctx) => {
        if (targets.reach.length === 0) skipStep("no broker, sinks or webhook configured");
        const results = await Promise.all(targets.reach.map((t) => probeTarget(t, 5000)));
        await ctx.write("network/reachability.json", `${JSON.stringify(results, null, 2)}\n`);
        const down = results.filter(
          (r) =>
            r.error ||
            !r.dns?.ok ||
            r.tcp?.ok === false ||
            r.tls?.ok === false ||
            r.sipOptions?.answered === false,
        );
        for (const r of results) ctx.note(`${r.name}: ${down.includes(r) ? "NOT reachable" : "reachable"}`);
        if (down.length > 0) throw new Error(`not reachable: ${down.map((r) => r.name).join(", ")}`);
      },
    },
  ];
}

/**
 * `siprec-edge diag [--config FILE] [--output DIR] [--pcaps N] [--capture SECONDS]`: writes one
 * support bundle (DESIGN.md §7) for a field technician to send: versions, the configuration with
 * secrets redacted, journal and unit state, the daemon's status over its API, spool statistics
 * and integrity (read-only), ports, addresses, routes, reachability of broker and sinks, clock sync,
 * the newest per-call pcaps and an optional tcpdump. Read-only: it writes only its temporary folder
 * and the bundle, never signals the daemon. Each step has a deadline; failed steps are listed in
 * `manifest.json` and the bundle is still written. Prints the bundle's path on stdout.
 * @returns 0 when the bundle was written (even with failed steps), 1 when it could not be.
 */
export async function diagCommand(args: DiagArgs, io: CommandIo): Promise<number> {
  const file = isAbsolute(args.config) ? args.config : resolve(args.config);
  const facts = await configFacts(file);
  const versions: DiagVersions = { siprecEdge: version, bun: Bun.version };
  const t = facts.targets;
  try {
    const bundle = await createDiagBundle({
      applianceId: t.applianceId,
      outputDir: resolve(args.outputDir),
      versions,
      secrets: () => [...facts.secrets],
      details: () => ({
        configFile: file,
        configValid: facts.config !== undefined,
        spool: t.spoolPath,
        captureFolder: t.capturePath,
        web: t.api.baseUrl,
        options: { pcaps: args.pcaps, captureSeconds: args.captureSeconds ?? 0 },
      }),
      steps: () => [
        versionsStep(versions),
        ...configSteps(file, facts),
        ...systemSteps(facts),
        ...apiSteps(t),
        ...spoolSteps(t),
        ...networkSteps(t),
        clockStep(),
        pcapsStep({
          folder: t.capturePath,
          count: args.pcaps,
          capBytes: pcapCapBytes,
          fallback: (ctx, count, cap) => fetchCallCaptures(ctx, t.api, count, cap),
        }),
        ...(args.captureSeconds
          ? [captureStep({ seconds: args.captureSeconds, sipPorts: t.sipPorts, mediaPorts: t.mediaPorts })]
          : []),
      ],
    });
    for (const step of bundle.manifest.steps) {
      io.err(
        `  ${step.name.padEnd(18)} ${step.status.padEnd(8)} ${String(step.durationMs).padStart(6)} ms${step.error ? `  ${step.error}` : ""}`,
      );
    }
    io.out(bundle.path);
    return ExitCode.Ok;
  } catch (err) {
    if (!(err instanceof DiagError)) throw err;
    io.err(`siprec-edge diag: no bundle written: ${err.message}`);
    return ExitCode.Failure;
  }
}
