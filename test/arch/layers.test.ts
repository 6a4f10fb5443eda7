import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The dependency table of the architecture (runtime imports and `import type` imports per folder).
 * A folder may always import itself and `lib`.
 */
const rules: Record<string, { runtime: string[]; types: string[] }> = {
  lib: { runtime: [], types: [] },
  sip: { runtime: [], types: [] },
  sdp: { runtime: [], types: [] },
  spool: { runtime: [], types: [] },
  srtp: { runtime: [], types: [] },
  capture: { runtime: [], types: [] },
  siprec: { runtime: ["sdp"], types: ["sip"] },
  media: { runtime: ["srtp"], types: ["sdp", "spool"] },
  easp: { runtime: [], types: ["spool"] },
  srs: { runtime: ["sip", "sdp", "siprec", "media", "spool", "srtp", "capture"], types: [] },
  sinks: { runtime: ["spool", "sip", "sdp", "siprec", "media", "easp", "srtp"], types: [] },
  tools: { runtime: ["sip", "sdp", "siprec", "media", "easp", "srtp"], types: ["spool"] },
  control: { runtime: [], types: ["srs", "sinks", "spool", "media"] },
  web: { runtime: [], types: ["srs", "sinks", "spool", "media", "control", "capture"] },
  app: { runtime: ["*"], types: ["*"] },
  ".": { runtime: ["app"], types: ["*"] },
};

const srcDir = join(import.meta.dirname, "../../src");

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTs(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function folderOf(file: string): string {
  const rel = relative(srcDir, file);
  return rel.includes("/") ? (rel.split("/")[0] ?? ".") : ".";
}

const importPattern = /^\s*(import|export)\s+(type\s+)?[^;]*?from\s+["']([^"']+)["']/gms;

interface Violation {
  file: string;
  spec: string;
  why: string;
}

function check(file: string): Violation[] {
  const from = folderOf(file);
  const rule = rules[from];
  const text = readFileSync(file, "utf8");
  const out: Violation[] = [];
  if (!rule) return [{ file, spec: "", why: `folder src/${from} is not in the layering table` }];
  for (const m of text.matchAll(importPattern)) {
    const spec = m[3] ?? "";
    if (!spec.startsWith(".")) continue;
    const target = join(file, "..", spec);
    if (relative(srcDir, target).startsWith("..")) continue;
    const to = folderOf(target);
    if (to === from || to === "lib") continue;
    const isType = Boolean(m[2]);
    const allowed = rule.runtime.includes("*") || rule.runtime.includes(to);
    const allowedType = allowed || rule.types.includes("*") || rule.types.includes(to);
    if (!(isType ? allowedType : allowed)) {
      out.push({
        file,
        spec,
        why: `src/${from} may not ${isType ? "import type" : "import"} from src/${to}`,
      });
    }
    if (!target.endsWith(`${to}/index.ts`) && to !== ".") {
      out.push({ file, spec, why: `cross-folder imports go through src/${to}/index.ts` });
    }
  }
  return out;
}

describe("layering", () => {
  it("every import points down the layer table and through the folder's index.ts", () => {
    const violations = listTs(srcDir).flatMap(check);
    expect(violations.map((v) => `${relative(srcDir, v.file)}: ${v.spec} (${v.why})`)).toEqual([]);
  });

  it("detects a violation (self-check of the checker)", () => {
    const fake = join(srcDir, "sip/fake.ts");
    const violations = [`import { x } from "../srs/index.ts";`].flatMap((line) => {
      const m = [...line.matchAll(importPattern)][0];
      const spec = m?.[3] ?? "";
      const to = folderOf(join(fake, "..", spec));
      return rules.sip?.runtime.includes(to) ? [] : [to];
    });
    expect(violations).toEqual(["srs"]);
  });
});
