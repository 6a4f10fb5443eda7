import { type Clock, errorMessage, type Logger } from "../../lib/index.ts";
import type { DnsLookup, SipStack } from "../../sip/index.ts";
import type { ForwardCatalog, ResolvedForward } from "./forward-catalog.ts";
import { SinkTargets } from "./sink-targets.ts";

/** What {@link TargetRegistry} needs. */
export interface TargetRegistryOptions {
  sip: SipStack;
  resolver: DnsLookup | undefined;
  clock: Clock;
  logger: Logger;
  backoff: { initialMs: number; maxMs: number };
  /** Called when a target of `targets` may take sessions again. */
  onAvailable: (targets: SinkTargets) => void;
}

/**
 * One {@link SinkTargets} per remote SRS URI (and per "TLS only", for SRTP), shared by every call
 * forwarded there, so that a failed target is skipped by all calls until its backoff ends (RFC 3263 §4.3).
 * Configured sinks with `optionsPingMs` ping their targets from the start, not only once a call comes.
 */
export class TargetRegistry {
  readonly #o: TargetRegistryOptions;
  readonly #targets = new Map<string, SinkTargets>();
  #pingMs = new Map<string, number>();

  constructor(options: TargetRegistryOptions) {
    this.#o = options;
  }

  /** The shared targets of a forward's URI. */
  of(forward: ResolvedForward): SinkTargets {
    const key = `${forward.srtp ? "tls" : "any"} ${forward.uri}`;
    let targets = this.#targets.get(key);
    if (!targets) {
      const created = new SinkTargets({
        uri: forward.uri,
        tlsOnly: forward.srtp !== undefined,
        sip: this.#o.sip,
        resolver: this.#o.resolver,
        clock: this.#o.clock,
        logger: this.#o.logger,
        backoff: this.#o.backoff,
      });
      created.on("available", () => this.#o.onAvailable(created));
      created.setPingInterval(this.#pingMs.get(forward.uri) ?? 0);
      this.#targets.set(key, created);
      targets = created;
    }
    return targets;
  }

  /** Applies the configured sinks' ping intervals (the longest per URI) and starts pinging their targets. */
  watch(catalog: ForwardCatalog): void {
    const pingMs = new Map<string, number>();
    for (const sink of catalog.sinks)
      pingMs.set(sink.uri, Math.max(pingMs.get(sink.uri) ?? 0, sink.optionsPingMs));
    this.#pingMs = pingMs;
    for (const targets of this.#targets.values()) targets.setPingInterval(pingMs.get(targets.uri) ?? 0);
    for (const sink of catalog.sinks) {
      if (sink.optionsPingMs <= 0) continue;
      this.of(catalog.resolve({ sink: sink.name }))
        .targetSet()
        .catch((err: unknown) => {
          this.#o.logger.warn("SIPREC sink URI not resolved", {
            sink: sink.name,
            uri: sink.uri,
            error: errorMessage(err),
          });
        });
    }
  }

  /** Stops every ping and timer. */
  close(): void {
    for (const targets of this.#targets.values()) targets.close();
    this.#targets.clear();
  }
}
