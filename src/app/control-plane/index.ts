import { type CommandReply, drained, type EventContext, httpStatusOf } from "../../control/index.ts";
import type { Clock, Logger } from "../../lib/index.ts";
import type { SinkDispatcher, SiprecForwarder } from "../../sinks/index.ts";
import type { SipStack } from "../../sip/index.ts";
import type { CallRecord, Spool } from "../../spool/index.ts";
import type { Srs } from "../../srs/index.ts";
import type { HttpCommandExecutor, MetricsSample, StatusSnapshot } from "../../web/index.ts";
import type { CallRouting } from "../call-routing.ts";
import { type AppConfig, loadConfig } from "../config.ts";
import { forwardSinkConfigs, sinkConfigs, siprecSinks, websocketSinks } from "../config-mapping.ts";
import type { EventOutlet } from "../event-outlet.ts";
import { buildMetricsSample, MetricsCounters } from "../metrics-sample.ts";
import type { ConfiguredSink } from "../sink-health.ts";
import { createReloader } from "./config-reload.ts";
import { Drain, type DrainReport } from "./drain.ts";
import { type CommandExecutor, createCommandExecutor } from "./executor.ts";
import { createTestCaller } from "./test-call.ts";

export type { DrainReport, DrainState } from "./drain.ts";
export { fitSpeech, type TestCallTarget, testCallTarget } from "./test-call.ts";

/** What the control plane acts on and reports about. */
export interface ControlPlaneOptions {
  config: AppConfig;
  configPath: string | undefined;
  version: string;
  srs: Srs;
  spool: Spool;
  dispatcher: SinkDispatcher;
  forwarder: SiprecForwarder;
  routing: CallRouting;
  sip: SipStack;
  events: EventOutlet;
  ctx: EventContext;
  status(): StatusSnapshot;
  /** A call's sinks changed by command (SESSIONUPDATED `routing`). */
  onSinksChanged(call: CallRecord): void;
  /** Whether new recording sessions are taken now (for `/metrics`). */
  accepting(): boolean;
  /** Whether commands may run (false while starting or stopping: they get UNAVAILABLE). */
  ready(): boolean;
  /** The drain state changed (republish the retained status). */
  onDrainChange(): void;
  clock: Clock;
  logger: Logger;
}

/** The running control plane: one command executor for MQTT and HTTP, drain, metrics. */
export interface ControlPlane {
  readonly executor: CommandExecutor;
  /** The executor as the status server takes it (error codes → HTTP statuses). */
  readonly http: HttpCommandExecutor;
  readonly drain: Drain;
  /** Samples the appliance for `/metrics`. */
  metrics(): MetricsSample;
  /** The configured sinks, as the last successful reload left them. */
  configuredSinks(): ConfiguredSink[];
  stop(): void;
}

/**
 * Builds the control plane of DESIGN.md §5–6, §8: the commands (startStream, stopStream,
 * pauseRecording, resumeRecording, getStatus, listCalls, reloadConfig, drain, testCall), served by MQTT and
 * HTTP alike, the drain state machine (DRAINED event), config reload, and the `/metrics` sample.
 */
export function startControlPlane(options: ControlPlaneOptions): ControlPlane {
  const { config, srs, spool, dispatcher, routing, clock, logger } = options;
  const counters = new MetricsCounters(srs, dispatcher);
  const drain = new Drain({
    liveCalls: () => srs.sessions().length,
    undeliveredUnits: () => dispatcher.status().filter((u) => u.state !== "done").length,
    onDrained: (report: DrainReport) => {
      options.events.emit(drained({ callsFinished: report.callsFinished }, options.ctx));
      options.onDrainChange();
    },
    clock,
    logger,
  });
  let sinkNames = websocketSinks(config).map((s) => s.name);
  let siprecNames = siprecSinks(config).map((s) => s.name);
  const reload = createReloader(options.configPath, config, (path) => loadConfig(path), {
    applyRoutingAndSinks: (next) => {
      dispatcher.reconfigure(sinkConfigs(next));
      options.forwarder.reconfigure(forwardSinkConfigs(next));
      sinkNames = websocketSinks(next).map((s) => s.name);
      siprecNames = siprecSinks(next).map((s) => s.name);
      routing.reconfigure(
        next.routing,
        next.sinks.map((s) => s.name),
        siprecNames,
      );
    },
    applyAllowFrom: (cidrs) => srs.setAllowFrom(cidrs),
  });
  const testCall = createTestCaller({
    listening: () => options.sip.listening(),
    drainAccepting: () => drain.accepting,
    accepting: options.accepting,
    srs,
    clock,
    logger,
  });
  const executor = createCommandExecutor({
    srs,
    spool,
    dispatcher,
    forwarder: options.forwarder,
    routing,
    onSinksChanged: (call) => options.onSinksChanged(call),
    drain: {
      start: () => {
        const report = drain.start();
        options.onDrainChange();
        return report;
      },
      cancel: () => {
        const report = drain.cancel();
        options.onDrainChange();
        return report;
      },
    },
    status: options.status,
    testCall,
    reload,
    ready: options.ready,
    clock,
    logger,
  });
  const http: HttpCommandExecutor = {
    names: executor.names,
    execute: async (name, params) => {
      const reply: CommandReply = await executor.run(name, params, { via: "http" });
      return { status: reply.ok ? 200 : httpStatusOf(reply.error.code), body: reply };
    },
  };
  const sipStats = options.sip;
  return {
    executor,
    http,
    drain,
    metrics: () =>
      buildMetricsSample({
        applianceId: config.appliance_id,
        version: options.version,
        srs,
        spool,
        dispatcher,
        forwarder: options.forwarder,
        counters,
        sinkNames: () => sinkNames,
        siprecSinkNames: () => siprecNames,
        accepting: options.accepting,
        draining: () => !drain.accepting,
        mqttConnected: () => options.events.publisher?.connected ?? false,
        sip: () => {
          const stats = sipStats.stats();
          return {
            responsesByStatus: stats.responsesByStatus,
            requestsByMethod: stats.requestsByMethod,
            parseErrors: stats.parseErrors,
          };
        },
        eventOutboxDepth: () => options.events.depth(),
        nowUs: () => clock.wallUs(),
      }),
    configuredSinks: () => [
      ...sinkNames.map((name) => ({ name, type: "websocket" as const })),
      ...siprecNames.map((name) => ({ name, type: "siprec" as const })),
    ],
    stop: () => drain.stop(),
  };
}
