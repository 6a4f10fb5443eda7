import type { Clock } from "../lib/index.ts";
import { parseSinkFormat } from "./audio-format.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { SinkError } from "./errors.ts";
import type { CallSinkChoice, WebSocketSinkConfig } from "./sink-types.ts";
import type { Sink } from "./unit-factory.ts";

/** Per-call overrides of a sink (a {@link CallSinkChoice} without its name). */
export type SinkOverrides = Omit<CallSinkChoice, "sink">;

/** Default mode of a sink defined for one call only. */
const SCOPED_MODE = "interleaved";
/** Default format of a sink defined for one call only. */
const SCOPED_FORMAT = "PCMU/8000";

/** The overrides of a choice, with absent fields left out, in a fixed key order (stored as JSON). */
export function overridesOf(choice: SinkOverrides): SinkOverrides {
  const out: SinkOverrides = {};
  if (choice.url !== undefined) out.url = choice.url;
  if (choice.protocol !== undefined) out.protocol = choice.protocol;
  if (choice.mode !== undefined) out.mode = choice.mode;
  if (choice.format !== undefined) out.format = choice.format;
  if (choice.headers !== undefined) out.headers = { ...choice.headers };
  return out;
}

/** Whether a choice carries any override. */
export function hasOverrides(overrides: SinkOverrides): boolean {
  return Object.keys(overrides).length > 0;
}

/**
 * The configured sinks (config `sinks[]`) and the per-call sinks derived from them: checks each
 * definition, keeps one circuit breaker per configured sink (across config reloads, by name), and
 * resolves a call's {@link CallSinkChoice} to the {@link Sink} its units use.
 */
export class SinkCatalog {
  readonly #clock: Clock;
  #sinks = new Map<string, Sink>();

  /** @throws SinkError `SINK_CONFIG` when a sink cannot be used. */
  constructor(configs: readonly WebSocketSinkConfig[], clock: Clock) {
    this.#clock = clock;
    this.reconfigure(configs);
  }

  /** The configured sinks, in config order. */
  get sinks(): Sink[] {
    return [...this.#sinks.values()];
  }

  /**
   * Replaces the configured sinks; a sink whose name stays keeps its circuit breaker.
   * @throws SinkError `SINK_CONFIG` when a sink cannot be used (nothing changes then).
   */
  reconfigure(configs: readonly WebSocketSinkConfig[]): void {
    const next = new Map<string, Sink>();
    for (const config of configs) {
      if (next.has(config.name)) throw new SinkError("SINK_CONFIG", `sink ${config.name} is defined twice`);
      next.set(config.name, this.#build(config, this.#sinks.get(config.name)?.breaker));
    }
    this.#sinks = next;
  }

  /**
   * The sink a call's choice names: the configured one (itself, or a per-call variant with the
   * overrides applied), or one defined by the choice's `url` when no sink of that name is configured.
   * @throws SinkError `SINK_UNKNOWN` (not configured, no `url`), `SINK_CONFIG` (an override that cannot be used).
   */
  resolve(choice: CallSinkChoice): Sink {
    const base = this.#sinks.get(choice.sink);
    const overrides = overridesOf(choice);
    if (!base) {
      if (overrides.url === undefined) {
        throw new SinkError("SINK_UNKNOWN", `no sink ${choice.sink} is configured and no url was given`);
      }
      return this.#build({
        name: choice.sink,
        type: "websocket",
        url: overrides.url,
        protocol: overrides.protocol ?? "easp",
        mode: overrides.mode ?? SCOPED_MODE,
        format: overrides.format ?? SCOPED_FORMAT,
        headers: overrides.headers ?? {},
      });
    }
    if (!hasOverrides(overrides)) return base;
    const elsewhere = overrides.url !== undefined && overrides.url !== base.config.url;
    const config: WebSocketSinkConfig = {
      ...base.config,
      ...overrides,
      headers: elsewhere ? (overrides.headers ?? {}) : { ...base.config.headers, ...overrides.headers },
    };
    const variant = this.#build(config, elsewhere ? undefined : base.breaker);
    variant.queue = base.queue;
    variant.active = base.active;
    return variant;
  }

  /**
   * Checks a definition and builds its sink, with `breaker` or a new one.
   * @throws SinkError `SINK_CONFIG`.
   */
  #build(config: WebSocketSinkConfig, breaker?: CircuitBreaker): Sink {
    const name = config.name;
    if (config.type !== "websocket" || config.protocol !== "easp") {
      throw new SinkError(
        "SINK_CONFIG",
        `sink ${name}: only websocket sinks with protocol easp are supported`,
      );
    }
    if (config.mode !== "interleaved" && config.mode !== "per-participant") {
      throw new SinkError("SINK_CONFIG", `sink ${name}: unknown mode ${JSON.stringify(config.mode)}`);
    }
    if (!/^wss?:\/\/[^/\s]/i.test(config.url)) {
      throw new SinkError(
        "SINK_CONFIG",
        `sink ${name}: url must be ws:// or wss://, got ${JSON.stringify(config.url)}`,
      );
    }
    return {
      config,
      format: parseSinkFormat(config.format),
      breaker:
        breaker ??
        new CircuitBreaker(
          config.circuitBreaker?.failures ?? 5,
          config.circuitBreaker?.coolDownMs ?? 30_000,
          this.#clock,
        ),
      stopped: undefined,
      queue: [],
      active: new Set(),
    };
  }
}
