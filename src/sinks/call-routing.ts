import type { CallSinkInput, CallSinkRow, Spool } from "../spool/index.ts";
import { SinkError } from "./errors.ts";
import { hasOverrides, overridesOf, type SinkCatalog, type SinkOverrides } from "./sink-catalog.ts";
import type { CallSinkChoice, CallSinkState } from "./sink-types.ts";
import type { CallEntry, RoutedSink, Sink } from "./unit-factory.ts";

/** A call's sinks as `recover()` and `isDelivered()` see them. */
export interface StoredRouting {
  routes: RoutedSink[];
  /** Whether they come from the spool (false: the call was never routed, every configured sink). */
  stored: boolean;
}

/** A sink as routed when its call starts (routing by default) or is first chosen. */
export function freshRoute(sink: Sink, overrides: SinkOverrides = {}): RoutedSink {
  return { name: sink.config.name, sink, overrides, stopped: false, stopCuts: {} };
}

/**
 * Resolves a routing decision to the call's routed sinks, in order.
 * @throws SinkError `SINK_UNKNOWN`, `SINK_CONFIG` (also for a sink chosen twice).
 */
export function resolveChoices(catalog: SinkCatalog, choices: readonly CallSinkChoice[]): RoutedSink[] {
  const routes: RoutedSink[] = [];
  for (const choice of choices) {
    if (routes.some((r) => r.name === choice.sink)) {
      throw new SinkError("SINK_CONFIG", `sink ${choice.sink} is chosen twice for the call`);
    }
    routes.push(freshRoute(catalog.resolve(choice), overridesOf(choice)));
  }
  return routes;
}

/**
 * Checks that starting a stopped sink again asks for the overrides it was first chosen with (or none).
 * @throws SinkError `SINK_CONFIG` otherwise.
 */
export function checkRestart(route: RoutedSink, choice: CallSinkChoice): void {
  const overrides = overridesOf(choice);
  if (hasOverrides(overrides) && JSON.stringify(overrides) !== JSON.stringify(route.overrides)) {
    throw new SinkError(
      "SINK_CONFIG",
      `sink ${route.name} was stopped on this call; it starts again only with the overrides it was first chosen with`,
    );
  }
}

/** The public view of a routed sink. */
export function stateOf(route: Pick<RoutedSink, "name" | "stopped" | "overrides">): CallSinkState {
  return { sink: route.name, state: route.stopped ? "stopped" : "active", overrides: route.overrides };
}

/** The spool row of a routed sink. */
export function rowOf(route: RoutedSink): CallSinkInput {
  return {
    sink: route.name,
    overrides: JSON.stringify(route.overrides),
    stopped: route.stopped,
    stopCuts: route.stopCuts,
  };
}

/** The public view of a stored call-sink row. */
export function stateOfRow(row: CallSinkRow): CallSinkState {
  return stateOf({ name: row.sink, stopped: row.stopped, overrides: parseOverrides(row.overrides) });
}

/**
 * Stores `route` as one of the call's sinks (added, or replacing the one of that name): one row when
 * the routing is stored already, else the whole routing with it. Nothing in memory changes.
 * @throws SpoolError `SPOOL_UNKNOWN_CALL`, `SPOOL_WRITE`.
 */
export function storeRoute(spool: Spool, entry: CallEntry, route: RoutedSink): void {
  const { callId } = entry.call;
  if (entry.routingStored) {
    spool.upsertCallSink({ callId, ...rowOf(route) });
    return;
  }
  const routes = (entry.routing ?? []).filter((r) => r.name !== route.name);
  const at = (entry.routing ?? []).findIndex((r) => r.name === route.name);
  routes.splice(at < 0 ? routes.length : at, 0, route);
  spool.setCallSinks(callId, routes.map(rowOf));
  entry.routingStored = true;
}

/**
 * The sinks of a call that is no longer live, for `recover()` and `isDelivered()`: its stored
 * routing (rows whose sink cannot be resolved any more are handed to `skipped` and left out), or
 * every configured sink when the call was never routed.
 */
export function storedRouting(
  spool: Spool,
  catalog: SinkCatalog,
  callId: string,
  skipped: (sink: string, reason: string) => void,
): StoredRouting {
  const rows = spool.listCallSinks(callId);
  if (rows === undefined) return { routes: catalog.sinks.map((sink) => freshRoute(sink)), stored: false };
  const routes: RoutedSink[] = [];
  for (const row of rows) {
    const overrides = parseOverrides(row.overrides);
    try {
      const sink = catalog.resolve({ sink: row.sink, ...overrides });
      routes.push({ name: row.sink, sink, overrides, stopped: row.stopped, stopCuts: row.stopCuts });
    } catch (err) {
      if (!(err instanceof SinkError)) throw err;
      skipped(row.sink, err.message);
    }
  }
  return { routes, stored: true };
}

/** Stored overrides (JSON text written by {@link rowOf}); unreadable text counts as none. */
function parseOverrides(json: string): SinkOverrides {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === "object" ? overridesOf(value as SinkOverrides) : {};
  } catch {
    return {};
  }
}
