import { BlockList, isIP } from "node:net";
import type { RoutingConfig } from "../config-schema.ts";
import { RoutingConfigError } from "./errors.ts";
import type { Router, RoutingDecision, RoutingInput } from "./routing-types.ts";

type RuleConfig = RoutingConfig["rules"][number];
type MatchConfig = RuleConfig["match"];

/** One test of a rule's `match` section against the new call. */
type Check = (input: RoutingInput) => boolean;

interface CompiledRule {
  /** `name`, or `#<index>`. */
  label: string;
  /** Every check must pass; none = the rule matches every call. */
  checks: Check[];
  sinks: readonly string[];
}

/**
 * Compiles the `routing` section once (at config load and on `reloadConfig`): CIDR blocks into a
 * `node:net` BlockList, regular expressions (JavaScript syntax, no flags) into `RegExp`s.
 *
 * Matching, per rule (first matching rule wins; a rule matches when every key given under `match` matches):
 * - `source`: the SRC address lies in any listed address or CIDR block, IPv4 or IPv6 (an IPv4-mapped
 *   IPv6 address such as `::ffff:192.0.2.1` matches IPv4 blocks); an empty list matches no address.
 * - `request_uri`, `metadata_xml`: the regex finds a match in the Request-URI / raw rs-metadata XML
 *   (RFC 7865, extension elements included).
 * - `headers`: every named INVITE header is present (name case-insensitive) and its first value matches.
 * - `participant_aor`: any participant's AOR matches. `label`: any stream's `a=label` (RFC 4574) matches.
 * - `correlation`: every named correlation key is present and its value matches.
 *
 * No rule matches → `default_sinks` (`"all"` = every configured sink, in config order). A rule with
 * `sinks: []` means record only.
 *
 * @param routing the validated `routing` section.
 * @param configuredSinks names of the configured sinks (`sinks[].name`), in config order.
 * @throws RoutingConfigError (`ROUTING_CONFIG_INVALID`) naming the key of a bad address/CIDR block,
 *   regular expression, or sink name that is not configured.
 */
export function compileRouting(routing: RoutingConfig, configuredSinks: readonly string[]): Router {
  const known = new Set(configuredSinks);
  const checkSinks = (names: readonly string[], key: string): void => {
    names.forEach((name, j) => {
      if (!known.has(name)) {
        throw new RoutingConfigError(
          `${key}[${j}]`,
          `names no sink; use one of: ${configuredSinks.join(", ") || "(no sinks configured)"}`,
        );
      }
    });
  };
  const rules = routing.rules.map((rule, i): CompiledRule => {
    const key = `routing.rules[${i}]`;
    checkSinks(rule.sinks, `${key}.sinks`);
    return {
      label: rule.name || `#${i}`,
      checks: compileMatch(rule.match, `${key}.match`),
      sinks: rule.sinks,
    };
  });
  const defaults = routing.default_sinks === "all" ? [...configuredSinks] : routing.default_sinks;
  checkSinks(defaults, "routing.default_sinks");
  return {
    decide(input: RoutingInput): RoutingDecision {
      for (const rule of rules) {
        if (rule.checks.every((check) => check(input))) {
          return { sinks: rule.sinks.map((sink) => ({ sink })), by: "rule", rule: rule.label };
        }
      }
      return { sinks: defaults.map((sink) => ({ sink })), by: "default" };
    },
  };
}

function compileMatch(match: MatchConfig, key: string): Check[] {
  const checks: Check[] = [];
  if (match.source !== undefined) checks.push(sourceCheck(match.source, `${key}.source`));
  if (match.request_uri !== undefined) {
    const re = compileRegex(match.request_uri, `${key}.request_uri`);
    checks.push((input) => re.test(input.requestUri));
  }
  for (const [name, source] of Object.entries(match.headers ?? {})) {
    const re = compileRegex(source, `${key}.headers.${name}`);
    checks.push((input) => {
      const value = input.header(name);
      return value !== undefined && re.test(value);
    });
  }
  if (match.participant_aor !== undefined) {
    const re = compileRegex(match.participant_aor, `${key}.participant_aor`);
    checks.push((input) => input.participants.some((p) => re.test(p.aor)));
  }
  if (match.label !== undefined) {
    const re = compileRegex(match.label, `${key}.label`);
    checks.push((input) => input.labels.some((label) => re.test(label)));
  }
  for (const [name, source] of Object.entries(match.correlation ?? {})) {
    const re = compileRegex(source, `${key}.correlation.${name}`);
    checks.push((input) => {
      const value = Object.hasOwn(input.correlation, name) ? input.correlation[name] : undefined;
      return value !== undefined && re.test(value);
    });
  }
  if (match.metadata_xml !== undefined) {
    const re = compileRegex(match.metadata_xml, `${key}.metadata_xml`);
    checks.push((input) => re.test(input.metadataXml));
  }
  return checks;
}

function compileRegex(source: string, key: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new RoutingConfigError(key, `is not a valid regular expression (${(err as Error).message})`);
  }
}

function sourceCheck(entries: readonly string[], key: string): Check {
  const blocks = new BlockList();
  entries.forEach((entry, i) => {
    addBlock(blocks, entry, `${key}[${i}]`);
  });
  return (input) => {
    const family = isIP(input.sourceAddress);
    return family !== 0 && blocks.check(input.sourceAddress, family === 6 ? "ipv6" : "ipv4");
  };
}

function addBlock(blocks: BlockList, entry: string, key: string): void {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  const type = family === 6 ? "ipv6" : "ipv4";
  const bits = family === 6 ? 128 : 32;
  const prefixText = slash < 0 ? String(bits) : entry.slice(slash + 1);
  const prefix = Number(prefixText);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText) || prefix > bits) {
    throw new RoutingConfigError(
      key,
      `"${entry}" is not an IPv4/IPv6 address or CIDR block; write e.g. "10.0.0.0/8", "192.0.2.10" or "2001:db8::/32"`,
    );
  }
  if (slash < 0) blocks.addAddress(address, type);
  else blocks.addSubnet(address, prefix, type);
}
