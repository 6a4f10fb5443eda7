/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} references are the configuration syntax under test, not template placeholders. */
import { describe, expect, it } from "vitest";
import { parseYamlWithReferences } from "../../../src/lib/index.ts";

describe("parseYamlWithReferences", () => {
  it("reads ${NAME} references inside flow mappings and keeps them verbatim, unexpanded", () => {
    const doc = parseYamlWithReferences(
      'web: { auth: { token: ${WEB_TOKEN} } }\nsinks:\n  - url: "wss://u:${PASS:-x}@h/s"\n',
    );
    expect(doc).toEqual({
      web: { auth: { token: "${WEB_TOKEN}" } },
      sinks: [{ url: "wss://u:${PASS:-x}@h/s" }],
    });
  });

  it("reads blank text as an empty mapping", () => {
    expect(parseYamlWithReferences("  \n")).toEqual({});
  });

  it("throws on text that is not YAML", () => {
    expect(() => parseYamlWithReferences("a: [1, 2\nb: }")).toThrow();
  });
});
