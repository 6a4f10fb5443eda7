/**
 * `${NAME}` or `${NAME:-default}` in configuration text (DESIGN.md §7): group 1 the variable, group
 * 2 the default. Global: use it with `String.replace` and `matchAll` only (they do not keep state).
 */
export const envReferencePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Stands in for a reference while YAML parses. */
const placeholder = "__SIPREC_EDGE_ENV_REF_";
const placeholderPattern = /__SIPREC_EDGE_ENV_REF_(\d+)__/g;

function restore(value: unknown, references: readonly string[]): unknown {
  if (typeof value === "string")
    return value.replace(placeholderPattern, (_, i: string) => references[Number(i)] ?? "");
  if (Array.isArray(value)) return value.map((v) => restore(v, references));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restore(v, references)]));
  return value;
}

/**
 * Parses YAML configuration text whose values may hold `${NAME}` references (YAML 1.2 via
 * `Bun.YAML`): the references are masked while the text parses, since a flow mapping
 * (`{ token: ${WEB_TOKEN} }`) cannot hold `${…}`, and put back verbatim into the strings of the
 * result; nothing is expanded. Blank text is an empty mapping.
 * @returns the document: a mapping, a list, a scalar or null.
 * @throws SyntaxError (Bun's YAML parser) when the text is not YAML.
 */
export function parseYamlWithReferences(text: string): unknown {
  const references: string[] = [];
  const masked = text.replace(envReferencePattern, (ref) => `${placeholder}${references.push(ref) - 1}__`);
  if (masked.trim() === "") return {};
  return restore(Bun.YAML.parse(masked), references);
}
