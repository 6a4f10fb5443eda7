import type { Clock, Logger } from "../lib/index.ts";
import { errorMessage, systemClock } from "../lib/index.ts";
import type { RtpReceiverStats } from "../media/index.ts";
import { createPortPool } from "../media/index.ts";
import { createSinkDispatcher, createSiprecForwarder } from "../sinks/index.ts";
import { createSipStack, parseListenSpec } from "../sip/index.ts";
import { openSqliteSpool } from "../spool/index.ts";
import { createSrs } from "../srs/index.ts";
import type { StatusServer, StatusSnapshot } from "../web/index.ts";
import { startStatusServer } from "../web/index.ts";
import { startCallCapture } from "./call-capture.ts";
import { createCallExporter } from "./call-export.ts";
import { createCallRouting } from "./call-routing.ts";
import type { AppConfig } from "./config.ts";
import { forwardSinkConfigs, roleRule, sinkConfigs, siprecSinks, webAuth } from "./config-mapping.ts";
import type { DrainReport, DrainState } from "./control-plane/index.ts";
import { startControlPlane } from "./control-plane/index.ts";
import { dnsResolver } from "./dns-resolver.ts";
import { createEventOutlet } from "./event-outlet.ts";
import { wireEvents } from "./event-wiring.ts";
import { readPemFiles } from "./pem-files.ts";
import { recoverSpool } from "./recovery.ts";
import { SinkFeedPair } from "./sink-feed.ts";
import type { ConfiguredSink } from "./sink-health.ts";
import { type SpoolWatch, watchSpool } from "./spool-watch.ts";
import { buildStatus, streamLevels } from "./status.ts";
import { SystemdNotifier, statusLine } from "./systemd/index.ts";

/** How often the retained MQTT status is republished, ms (DESIGN.md §8). */
const statusIntervalMs = 30_000;
/** Retry-After of a 503 while the spool is above its high-water mark, s. */
const spoolRetryAfterS = 60;

/** The running appliance. */
export interface App {
  /** URL of the status page. */
  readonly webUrl: string;
  /** SIP listeners actually bound, e.g. `udp:127.0.0.1:5060`. */
  readonly sipListening: string[];
  /** The current status snapshot (what `/api/status` serves). */
  status(): StatusSnapshot;
  /** Re-reads the configuration file and applies what can change live (SIGHUP; same as the `reloadConfig` command). */
  reloadConfig(): Promise<void>;
  /** Stops taking calls, ends live sessions, hands the sinks ~2 s to flush, closes everything. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startApp}. */
export interface AppOptions {
  /** Validated configuration. */
  config: AppConfig;
  /** Version reported in status, events and EASP `open`. */
  version: string;
  /** JSON-lines logger. */
  logger: Logger;
  /** The configuration file, re-read by `reloadConfig` (and SIGHUP); without it reloads are refused. */
  configPath?: string;
  clock?: Clock;
}

/**
 * Builds and starts the appliance, the composition root of DESIGN.md §1: spool (recovering what
 * an unclean stop left live) → events → sinks → SIP + SRS → status page, then the sinks deliver
 * whatever the spool still owes them. Anything that fails to start (a port in use, an unwritable
 * spool) stops what was started and rethrows. Components stop in reverse order, so events outlive
 * the last SESSIONCOMPLETED and the spool outlives everything.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, version } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ appliance: config.appliance_id });
  const startedMs = Date.now();
  const cleanups: Array<() => unknown> = [];
  let accepting = true;
  const counters: Record<string, number> = { sipRejected: 0 };
  const finalRtp = new Map<number, RtpReceiverStats>();
  const ctx = { applianceId: config.appliance_id, clock };

  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        logger.warn("error while stopping", { error: errorMessage(err) });
      }
    }
  };

  try {
    const spool = openSqliteSpool({
      path: config.spool.path,
      commitIntervalMs: config.spool.commit_interval_ms,
      synchronous: config.spool.synchronous,
      maxBytes: config.spool.max_bytes,
      minFreeDisk: config.spool.min_free_disk,
      clock,
      logger: logger.child({ component: "spool" }),
    });
    cleanups.push(() => spool.close());

    const events = createEventOutlet({ config, version, spool, clock, logger });
    cleanups.push(() => events.close());
    recoverSpool(spool, clock.wallUs(), ctx, events.emit, logger);

    const dispatcher = createSinkDispatcher({
      sinks: sinkConfigs(config),
      spool,
      applianceId: config.appliance_id,
      version,
      explicitRouting: true,
      clock,
      logger: logger.child({ component: "sinks" }),
    });
    cleanups.push(() => dispatcher.close());

    const sip = createSipStack({
      listen: config.sip.listen.map(parseListenSpec),
      clock,
      logger: logger.child({ component: "sip" }),
      userAgent: `${config.sip.user_agent}/${version}`,
      ...(config.sip.tls
        ? {
            tls: { ...readPemFiles("sip.tls", config.sip.tls), verifyClients: config.sip.tls.verify_clients },
          }
        : {}),
    });
    if (config.sip.allow_from.length === 0) {
      logger.warn("sip.allow_from is empty: recording sessions are accepted from any source", {
        code: "CONFIG_OPEN_SIP",
      });
    }
    const capture = startCallCapture({ config, sip, spool, clock, logger });
    cleanups.push(() => capture.close());
    const ports = createPortPool(config.media.port_range);
    const forwarder = createSiprecForwarder({
      sinks: forwardSinkConfigs(config),
      sip,
      spool,
      ports,
      mediaAddress: config.media.address,
      ...(config.media.advertise ? { advertiseAddress: config.media.advertise } : {}),
      ...(config.sip.dns_servers.length > 0 ? { resolver: dnsResolver(config.sip.dns_servers) } : {}),
      applianceId: config.appliance_id,
      version,
      clock,
      logger: logger.child({ component: "forward" }),
    });
    const feed = new SinkFeedPair(dispatcher, forwarder);
    const routing = createCallRouting({
      routing: config.routing,
      sinkNames: config.sinks.map((s) => s.name),
      siprecSinkNames: siprecSinks(config).map((s) => s.name),
      applianceId: config.appliance_id,
      dispatcher,
      forwarder,
      logger: logger.child({ component: "routing" }),
      onRouted: (call) => emitRouting(call),
    });

    let watch: SpoolWatch | undefined;
    let drainAccepting = (): boolean => true;
    let drainState = (): DrainState => "off";
    let configuredSinks = (): ConfiguredSink[] => config.sinks.map((s) => ({ name: s.name, type: s.type }));
    const srs = createSrs({
      sip,
      spool,
      frames: feed,
      ports,
      mediaAddress: config.media.address,
      ...(config.media.advertise ? { advertiseAddress: config.media.advertise } : {}),
      reorderMs: config.media.reorder_ms,
      latch: config.media.latch,
      roles: roleRule(config),
      allowFrom: config.sip.allow_from,
      ...(capture.store ? { captures: capture.store } : {}),
      admission: () => {
        if (!accepting)
          return { accept: false, reason: "Service Unavailable (shutting down)", retryAfterS: 30 };
        if (!drainAccepting())
          return { accept: false, reason: "Service Unavailable (draining)", retryAfterS: 300 };
        if (watch?.level().highWater) {
          return {
            accept: false,
            reason: "Service Unavailable (spool above its high-water mark)",
            retryAfterS: spoolRetryAfterS,
          };
        }
        return { accept: true };
      },
      clock,
      logger,
    });
    cleanups.push(() => srs.endAll());
    srs.observer.on("rejected", () => {
      counters.sipRejected = (counters.sipRejected ?? 0) + 1;
    });
    srs.observer.on("streamstopped", (_call, stream, rtp) => {
      finalRtp.set(stream.streamId, rtp);
      if (finalRtp.size > 1000) finalRtp.delete(finalRtp.keys().next().value as number);
    });
    const emitRouting = wireEvents(srs, { feed, dispatcher, forwarder }, spool, routing, ctx, events.emit);

    const spoolWatch = watchSpool({
      spool,
      retainMs: config.spool.retain,
      isDelivered: (callId) => dispatcher.isDelivered(callId) && forwarder.isDelivered(callId),
      onPurged: (callIds) => capture.store?.remove(callIds),
      emit: events.emit,
      ctx,
      clock,
      logger: logger.child({ component: "spool" }),
    });
    watch = spoolWatch;
    cleanups.push(() => spoolWatch.stop());

    await sip.start();
    cleanups.push(() => sip.close());
    cleanups.push(() => forwarder.close());
    const sipListening = sip.listening().map((l) => `${l.transport}:${l.host}:${l.port}`);
    dispatcher.recover();
    forwarder.recover();

    /** Whether a new INVITE would be answered now (not stopping, not draining, spool below high water). */
    const acceptingCalls = (): boolean => accepting && drainAccepting() && !spoolWatch.level().highWater;
    const status = (): StatusSnapshot =>
      buildStatus({
        applianceId: config.appliance_id,
        version,
        startedMs,
        srs,
        spool,
        spoolPath: config.spool.path,
        dispatcher,
        forwarder,
        listening: () => sipListening,
        mqtt: {
          configured: events.publisher !== undefined,
          connected: () => events.publisher?.connected ?? false,
        },
        accepting: acceptingCalls,
        counters: () => {
          const sipStats = sip.stats();
          return {
            ...counters,
            eventsPending: events.depth(),
            sipParseErrors: sipStats.parseErrors,
            sipMessagesIn: sipStats.messagesIn,
          };
        },
        finalRtp,
        sinks: () => configuredSinks(),
        drain: () => drainState(),
        events: () => events.recent(),
        nowUs: () => clock.wallUs(),
      });

    let ready = false;
    const publisher = events.publisher;
    const publishStatus = (): void =>
      publisher?.publishStatus(statusSummary(status(), control.drain.report()));
    const control = startControlPlane({
      config,
      configPath: options.configPath,
      version,
      srs,
      spool,
      dispatcher,
      forwarder,
      routing,
      status,
      sip,
      events,
      ctx,
      accepting: acceptingCalls,
      ready: () => ready && accepting,
      onSinksChanged: emitRouting,
      onDrainChange: publishStatus,
      clock,
      logger,
    });
    drainAccepting = () => control.drain.accepting;
    drainState = () => control.drain.report().state;
    configuredSinks = () => control.configuredSinks();
    cleanups.push(() => control.stop());

    const web: StatusServer = await startStatusServer({
      listen: config.web.listen,
      snapshot: status,
      levels: () => streamLevels(srs),
      calls: createCallExporter(spool, dispatcher, { clock }),
      commands: control.http,
      metrics: control.metrics,
      ...(capture.store ? { captures: capture.store } : {}),
      sipMessages: capture.sipMessages,
      logger: logger.child({ component: "web" }),
      ...webAuth(config),
    });
    cleanups.push(() => web.close());

    const notifier = new SystemdNotifier({
      clock,
      logger: logger.child({ component: "systemd" }),
      statusLine: () => {
        const level = spoolWatch.level();
        return statusLine({
          activeCalls: srs.sessions().length,
          spoolBytes: level.bytes,
          spoolMaxBytes: level.maxBytes,
        });
      },
    });
    // First in the list, so it closes last: systemd's watchdog is fed until the very end of a stop.
    cleanups.unshift(() => notifier.close());

    if (publisher) {
      publishStatus();
      const timer = clock.setInterval(publishStatus, statusIntervalMs);
      cleanups.push(() => clock.clearTimer(timer));
      publisher.serveCommands(control.executor.run);
    }
    ready = true;

    cleanups.push(() => {
      accepting = false;
    });
    notifier.ready();
    logger.info("siprec-edge started", {
      version,
      sip: sipListening,
      web: web.url,
      spool: config.spool.path,
    });
    let stopping: Promise<void> | undefined;
    return {
      webUrl: web.url,
      sipListening,
      status,
      reloadConfig: async () => {
        const reply = await control.executor.run("reloadConfig", {}, { via: "signal" });
        if (!reply.ok)
          logger.error("configuration reload refused", {
            code: reply.error.code,
            error: reply.error.message,
          });
      },
      stop: () => {
        stopping ??= (async () => {
          notifier.stopping();
          accepting = false;
          logger.info("siprec-edge stopping");
          await stopAll();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function statusSummary(s: StatusSnapshot, drain: DrainReport): Record<string, unknown> {
  return {
    state: "online",
    version: s.version,
    uptimeS: s.uptimeS,
    activeCalls: s.calls.live.length,
    accepting: s.health.accepting,
    drain: drain.state,
    spoolBytes: s.health.spool.bytes,
    sinks: s.calls.live.flatMap((c) =>
      c.sinks.map((u) => ({ sink: u.sink, callId: u.callId, state: u.state })),
    ),
  };
}
