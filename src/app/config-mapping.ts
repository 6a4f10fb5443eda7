import type { WebSocketSinkConfig } from "../sinks/index.ts";
import type { RoleRule } from "../srs/index.ts";
import type { AppConfig } from "./config.ts";

/** The configured sinks as the dispatcher takes them (snake_case keys → options). */
export function sinkConfigs(config: AppConfig): WebSocketSinkConfig[] {
  return config.sinks.map((s) => ({
    name: s.name,
    type: s.type,
    url: s.url,
    protocol: s.protocol,
    mode: s.mode,
    format: s.format,
    headers: s.headers,
    channelOrder: s.channel_order,
    replay: { maxRate: s.replay.max_rate, strategy: s.replay.strategy, thresholdMs: s.replay.threshold_ms },
    circuitBreaker: { failures: s.circuit_breaker.failures, coolDownMs: s.circuit_breaker.cool_down },
  }));
}

/** The participant role rule of `srs.*`. */
export function roleRule(config: AppConfig): RoleRule {
  return {
    order: config.srs.role_order,
    agentLabels: config.srs.agent_labels,
    ...(config.srs.agent_aor_pattern ? { agentAorPattern: new RegExp(config.srs.agent_aor_pattern) } : {}),
  };
}

/** The status server's authentication from `web.auth`: a bearer token and/or basic credentials. */
export function webAuth(config: AppConfig): {
  auth?: { token?: string; basic?: { username: string; password: string } };
} {
  const auth = config.web.auth;
  if (!auth) return {};
  return {
    auth: {
      ...(auth.token ? { token: auth.token } : {}),
      ...(auth.username && auth.password
        ? { basic: { username: auth.username, password: auth.password } }
        : {}),
    },
  };
}
