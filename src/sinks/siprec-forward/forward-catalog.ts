import type { PartyOverride } from "../../siprec/index.ts";
import { isSrtpProfile, type SrtpProfile } from "../../srtp/index.ts";
import { SiprecForwardError } from "./errors.ts";
import type { ForwardChoice, ForwardCodec, SiprecReplayConfig, SiprecSinkConfig } from "./forward-types.ts";

/** Everything one forward of a call needs: a configured sink with the choice's overrides applied. */
export interface ResolvedForward {
  /** Sink name. */
  name: string;
  /** Remote SRS URI. */
  uri: string;
  /** Codec sent. */
  codec: ForwardCodec;
  /** SRTP suite, or undefined for plain RTP. */
  srtp: SrtpProfile | undefined;
  /** Extra INVITE headers. */
  xHeaders: Record<string, string>;
  /** Caller overrides. */
  caller: PartyOverride | undefined;
  /** Called-party overrides. */
  calledParty: PartyOverride | undefined;
  /** OPTIONS ping interval of the targets, ms (0 = none). */
  optionsPingMs: number;
  /** Session-Expires, s (0 = no session timer). */
  sessionExpiresS: number;
  /** Replay pace and concurrency. */
  replay: SiprecReplayConfig;
  /** The choice's opaque reference. */
  reference: Record<string, unknown> | undefined;
}

/** Settings of a sink defined by a choice alone (a `uri` under a name that is not configured). */
const adHocDefaults = {
  codec: "PCMU",
  optionsPingMs: 0,
  sessionExpiresS: 1800,
  replay: { maxRate: 1, maxConcurrent: 2 },
} as const;

const X_HEADER = /^X-[A-Za-z0-9!#$%&'*+.^_`|~-]+$/i;
const ONE_LINE = /^[^\r\n\0]*$/;
/** RFC 8866 §9 `token`: what an `a=label` override must be. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/**
 * The configured SIPREC sinks, and the resolution of per-call choices against them (DESIGN.md §5
 * "Which sinks a call gets").
 */
export class ForwardCatalog {
  #sinks = new Map<string, SiprecSinkConfig>();

  /** @throws SiprecForwardError `SIPREC_FORWARD_CONFIG`, `SIPREC_FORWARD_SRTP_NEEDS_TLS`. */
  constructor(sinks: readonly SiprecSinkConfig[]) {
    this.reconfigure(sinks);
  }

  /** The configured sinks, in order. */
  get sinks(): SiprecSinkConfig[] {
    return [...this.#sinks.values()];
  }

  /**
   * Replaces the configured sinks (all or nothing).
   * @throws SiprecForwardError `SIPREC_FORWARD_CONFIG` (also for a name used twice), `SIPREC_FORWARD_SRTP_NEEDS_TLS`.
   */
  reconfigure(sinks: readonly SiprecSinkConfig[]): void {
    const next = new Map<string, SiprecSinkConfig>();
    for (const sink of sinks) {
      if (next.has(sink.name)) throw config(`SIPREC sink ${sink.name} is configured twice`);
      checkSink(sink);
      next.set(sink.name, sink);
    }
    this.#sinks = next;
  }

  /**
   * The forward a choice asks for: its configured sink with the overrides, or a sink of its own when
   * the name is not configured and it has a `uri`.
   * @throws SiprecForwardError `SIPREC_FORWARD_UNKNOWN_SINK`, `SIPREC_FORWARD_CONFIG`, `SIPREC_FORWARD_SRTP_NEEDS_TLS`.
   */
  resolve(choice: ForwardChoice): ResolvedForward {
    const base = this.#sinks.get(choice.sink);
    if (!base && choice.uri === undefined) {
      throw new SiprecForwardError(
        "SIPREC_FORWARD_UNKNOWN_SINK",
        `no SIPREC sink ${choice.sink} is configured, and the choice has no uri`,
      );
    }
    const ownUri = choice.uri !== undefined && choice.uri !== base?.uri;
    const resolved: ResolvedForward = {
      name: choice.sink,
      uri: choice.uri ?? base?.uri ?? "",
      codec: choice.codec ?? base?.codec ?? adHocDefaults.codec,
      srtp: choice.srtp ?? base?.srtp,
      xHeaders: { ...(ownUri ? {} : base?.xHeaders), ...choice.xHeaders },
      caller: choice.caller ?? base?.caller,
      calledParty: choice.calledParty ?? base?.calledParty,
      optionsPingMs: base?.optionsPingMs ?? adHocDefaults.optionsPingMs,
      sessionExpiresS: base?.sessionExpiresS ?? adHocDefaults.sessionExpiresS,
      replay: base?.replay ?? adHocDefaults.replay,
      reference: choice.reference,
    };
    checkSink(resolved);
    return resolved;
  }
}

/** Whether SDES keys may be sent to `uri`: `sips:`, or `transport=tls` (RFC 4568 §8.3). */
export function isSecureUri(uri: string): boolean {
  return /^sips:/i.test(uri) || /;transport=tls(;|$|\?)/i.test(uri);
}

/**
 * Checks a sink's settings.
 * @throws SiprecForwardError `SIPREC_FORWARD_CONFIG`, `SIPREC_FORWARD_SRTP_NEEDS_TLS`.
 */
function checkSink(sink: SiprecSinkConfig): void {
  const where = `SIPREC sink ${sink.name}`;
  if (sink.name === "" || !ONE_LINE.test(sink.name)) throw config(`${where}: bad name`);
  if (!/^sips?:\S+$/i.test(sink.uri))
    throw config(`${where}: uri ${JSON.stringify(sink.uri)} is not sip: or sips:`);
  if (sink.codec !== "PCMU" && sink.codec !== "PCMA") throw config(`${where}: codec must be PCMU or PCMA`);
  if (sink.srtp !== undefined) {
    if (!isSrtpProfile(sink.srtp)) throw config(`${where}: unknown SRTP suite ${String(sink.srtp)}`);
    if (!isSecureUri(sink.uri)) {
      throw new SiprecForwardError(
        "SIPREC_FORWARD_SRTP_NEEDS_TLS",
        `${where}: SRTP keys travel in the SDP, so ${sink.uri} must be a sips: URI or have ;transport=tls`,
      );
    }
  }
  for (const [name, value] of Object.entries(sink.xHeaders)) {
    if (!X_HEADER.test(name)) throw config(`${where}: header ${JSON.stringify(name)} must be X-…`);
    if (!ONE_LINE.test(value)) throw config(`${where}: header ${name} must be one line`);
  }
  for (const party of [sink.caller, sink.calledParty]) {
    if (party?.label !== undefined && !TOKEN.test(party.label)) {
      throw config(`${where}: label ${JSON.stringify(party.label)} is not an SDP token`);
    }
    for (const text of [party?.name, party?.user]) {
      if (text !== undefined && !ONE_LINE.test(text)) throw config(`${where}: a party override spans lines`);
    }
  }
  const { maxRate, maxConcurrent } = sink.replay;
  if (!(sink.optionsPingMs >= 0) || !(sink.sessionExpiresS >= 0)) {
    throw config(`${where}: optionsPingMs and sessionExpiresS must be ≥ 0`);
  }
  if (!(maxRate >= 0) || !Number.isFinite(maxRate)) throw config(`${where}: replay.maxRate must be ≥ 0`);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw config(`${where}: replay.maxConcurrent must be an integer ≥ 1`);
  }
}

function config(message: string): SiprecForwardError {
  return new SiprecForwardError("SIPREC_FORWARD_CONFIG", message);
}
