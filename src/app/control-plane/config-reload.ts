import { CommandError } from "../../control/index.ts";
import { type AppConfig, ConfigError } from "../config.ts";

/** What a reload changed: keys applied at once, and keys whose new value needs a restart. */
export interface ReloadPlan {
  /** Dotted keys whose new value is applied now (`routing`, `sinks`, `sip.allow_from`). */
  applied: string[];
  /** Dotted keys that changed but take effect only after a restart (e.g. `sip.listen`, `spool.path`). */
  restartRequired: string[];
}

/** Keys a running appliance takes over at once: routing and sinks for calls answered from now on, the SRC allowlist. */
const liveKeys = ["routing", "sinks", "sip.allow_from"] as const;

/** Keys compared one level deeper, so a change of `sip.allow_from` is not reported as `sip`. */
const sectionsByKey: Record<string, true> = {
  sip: true,
  media: true,
  spool: true,
  srs: true,
  mqtt: true,
  web: true,
  log: true,
};

/**
 * Compares the running configuration with a newly validated one (the `reloadConfig` command,
 * SIGHUP): which changed keys can be applied live and which need a restart. Values are compared
 * as JSON (validation emits keys in schema order, so only real changes differ).
 */
export function planReload(current: AppConfig, next: AppConfig): ReloadPlan {
  const changed = changedKeys(
    current as unknown as Record<string, unknown>,
    next as unknown as Record<string, unknown>,
  );
  const live = new Set<string>(liveKeys);
  return {
    applied: changed.filter((key) => live.has(key)),
    restartRequired: changed.filter((key) => !live.has(key)),
  };
}

function changedKeys(current: Record<string, unknown>, next: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)]);
  const changed: string[] = [];
  for (const key of [...keys].sort()) {
    const a = current[key];
    const b = next[key];
    if (sectionsByKey[key] && isRecord(a) && isRecord(b)) {
      for (const sub of changedKeys(a, b)) changed.push(`${key}.${sub}`);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changed.push(key);
    }
  }
  return changed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What a reload changes in the running appliance. */
export interface ReloadTargets {
  /** New routing rules and sink definitions for calls answered from now on. */
  applyRoutingAndSinks(next: AppConfig): void;
  /** New SRC allowlist. */
  applyAllowFrom(cidrs: readonly string[]): void;
}

/**
 * Builds the `reloadConfig` action: reads and validates the file (`load` throws ConfigError, and
 * then nothing changes), applies what can change live, and keeps the running configuration's
 * restart-only keys as they are, so a later reload reports them again until the restart.
 * @throws CommandError CONFIG_INVALID naming each bad key; UNAVAILABLE when started without a file.
 */
export function createReloader(
  configPath: string | undefined,
  running: AppConfig,
  load: (path: string) => AppConfig,
  targets: ReloadTargets,
): () => ReloadPlan {
  let current = running;
  return () => {
    if (!configPath)
      throw new CommandError("UNAVAILABLE", "started without a configuration file: nothing to reload");
    let next: AppConfig;
    try {
      next = load(configPath);
    } catch (err) {
      if (err instanceof ConfigError) {
        throw new CommandError("CONFIG_INVALID", `${err.message} — the running configuration stays in force`);
      }
      throw err;
    }
    const plan = planReload(current, next);
    if (plan.applied.includes("routing") || plan.applied.includes("sinks"))
      targets.applyRoutingAndSinks(next);
    if (plan.applied.includes("sip.allow_from")) targets.applyAllowFrom(next.sip.allow_from);
    current = {
      ...current,
      routing: next.routing,
      sinks: next.sinks,
      sip: { ...current.sip, allow_from: next.sip.allow_from },
    };
    return plan;
  };
}
