import { SrsError } from "../../lib/index.ts";

/**
 * Thrown by {@link compileRouting} when the `routing` section cannot be compiled: a `source` entry
 * that is not an IPv4/IPv6 address or CIDR block (e.g. `10.0.0.0/40`), or a sink name that is not
 * configured. `key` is the dotted config key, e.g. `routing.rules[0].match.source[1]`.
 */
export class RoutingConfigError extends SrsError {
  readonly code = "ROUTING_CONFIG_INVALID";

  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}
