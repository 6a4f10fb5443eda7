import type { ForwardChoice, ForwardCodec, SiprecSinkConfig, WebSocketSinkConfig } from "../sinks/index.ts";
import type { RoleRule } from "../srs/index.ts";
import type { AppConfig } from "./config.ts";
import type { SiprecSinkEntry, WebSocketSinkEntry } from "./config-schema.ts";
import type { ForwardSpec } from "./routing/index.ts";

/** The configured WebSocket sinks as the EASP dispatcher takes them (snake_case keys → options). */
export function sinkConfigs(config: AppConfig): WebSocketSinkConfig[] {
  return websocketSinks(config).map((s) => ({
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

/** The configured WebSocket (EASP) sinks. */
export function websocketSinks(config: AppConfig): WebSocketSinkEntry[] {
  return config.sinks.filter((s): s is WebSocketSinkEntry => s.type === "websocket");
}

/** The configured SIPREC forwarding sinks. */
export function siprecSinks(config: AppConfig): SiprecSinkEntry[] {
  return config.sinks.filter((s): s is SiprecSinkEntry => s.type === "siprec");
}

/** The configured SIPREC forwarding sinks as the forwarder takes them. */
export function forwardSinkConfigs(config: AppConfig): SiprecSinkConfig[] {
  return siprecSinks(config).map((s) => ({
    name: s.name,
    uri: s.uri,
    codec: forwardCodecOf(s.codec),
    ...(s.srtp ? { srtp: s.srtp } : {}),
    xHeaders: s.x_headers,
    ...(s.caller ? { caller: s.caller } : {}),
    ...(s.called_party ? { calledParty: s.called_party } : {}),
    optionsPingMs: s.options_ping,
    sessionExpiresS: Math.round(s.session_expires / 1000),
    replay: { maxRate: s.replay.max_rate, maxConcurrent: s.replay.max_concurrent },
  }));
}

/** The forwarder's codec for a configured or requested `PCMU/8000` / `PCMA/8000`. */
function forwardCodecOf(format: "PCMU/8000" | "PCMA/8000"): ForwardCodec {
  return format === "PCMA/8000" ? "PCMA" : "PCMU";
}

/** A startSIPRecForward request (command or new-call webhook) as the forwarder takes it (`PCMU/8000` → `PCMU`). */
export function forwardChoice(spec: ForwardSpec): ForwardChoice {
  const { codec, ...rest } = spec;
  return codec ? { ...rest, codec: forwardCodecOf(codec) } : rest;
}
