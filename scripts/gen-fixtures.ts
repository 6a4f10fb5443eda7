/**
 * Regenerates the golden files of the vendor SIPREC corpus
 * (`test/fixtures/siprec/vendors/<vendor>-<case>.expected.json`) from the current codec.
 *
 *   bun scripts/gen-fixtures.ts            # report which goldens differ (exit 1 if any)
 *   bun scripts/gen-fixtures.ts --update   # rewrite them; review the diff before committing
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import {
  expectedPath,
  listFixtures,
  readFixture,
  summarize,
  toGoldenJson,
} from "../test/unit/siprec/vendor-corpus.ts";

const update = process.argv.includes("--update");
let stale = 0;
for (const name of listFixtures()) {
  const path = expectedPath(name);
  const golden = toGoldenJson(summarize(readFixture(name)));
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (current === golden) continue;
  stale++;
  if (update) writeFileSync(path, golden);
  console.log(`${update ? "updated" : "differs"}: ${name}.expected.json`);
}
console.log(`${stale} of ${listFixtures().length} golden files ${update ? "rewritten" : "out of date"}`);
if (stale > 0 && !update) process.exitCode = 1;
