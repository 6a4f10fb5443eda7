import type { AppEvent, MqttPublisher } from "../control/index.ts";
import { createMqttPublisher } from "../control/index.ts";
import type { Clock, Logger } from "../lib/index.ts";
import { errorMessage, systemClock } from "../lib/index.ts";
import type { RtpReceiverStats } from "../media/index.ts";
import { createPortPool } from "../media/index.ts";
import { createSinkDispatcher } from "../sinks/index.ts";
import { createSipStack, parseListenSpec } from "../sip/index.ts";
import { openSqliteSpool } from "../spool/index.ts";
import { createSrs } from "../srs/index.ts";
import type { StatusServer, StatusSnapshot } from "../web/index.ts";
import { startStatusServer } from "../web/index.ts";
import type { AppConfig } from "./config.ts";
import { wireEvents } from "./event-wiring.ts";
import { buildStatus } from "./status.ts";

/** How often the retained MQTT status is republished, ms (DESIGN.md §8). */
const statusIntervalMs = 30_000;

/** The running appliance. */
export interface App {
  /** URL of the status page. */
  readonly webUrl: string;
  /** SIP listeners actually bound, e.g. `udp:127.0.0.1:5060`. */
  readonly sipListening: string[];
  /** The current status snapshot (what `/api/status` serves). */
  status(): StatusSnapshot;
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
  clock?: Clock;
}

/**
 * Builds and starts the appliance: spool → sinks → SIP + SRS → MQTT → status page, the composition
 * root of DESIGN.md §1. Anything that fails to start (a port in use, an unwritable spool) stops
 * what was started and rethrows.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, version } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ appliance: config.appliance_id });
  const startedMs = Date.now();
  const cleanups: Array<() => unknown> = [];
  let accepting = true;
  const counters: Record<string, number> = { eventsEmitted: 0, eventsFailed: 0, sipRejected: 0 };
  const finalRtp = new Map<number, RtpReceiverStats>();

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
      clock,
      logger: logger.child({ component: "spool" }),
    });
    cleanups.push(() => spool.close());

    // Created before the SRS so that, stopping in reverse order, it outlives the last SESSIONCOMPLETED.
    let mqtt: MqttPublisher | undefined;
    if (config.mqtt) {
      mqtt = createMqttPublisher({
        url: config.mqtt.url,
        ...(config.mqtt.username ? { username: config.mqtt.username } : {}),
        ...(config.mqtt.password ? { password: config.mqtt.password } : {}),
        topicPrefix: config.mqtt.topic_prefix,
        applianceId: config.appliance_id,
        version,
        clock,
        logger: logger.child({ component: "mqtt" }),
      });
      const publisher = mqtt;
      cleanups.push(() => publisher.close());
    }

    const dispatcher = createSinkDispatcher({
      sinks: config.sinks.map((s) => ({
        name: s.name,
        type: s.type,
        url: s.url,
        protocol: s.protocol,
        mode: s.mode,
        format: s.format,
        headers: s.headers,
        channelOrder: s.channel_order,
      })),
      spool,
      applianceId: config.appliance_id,
      version,
      clock,
      logger: logger.child({ component: "sinks" }),
    });
    cleanups.push(() => dispatcher.close());

    const sip = createSipStack({
      listen: config.sip.listen.map(parseListenSpec),
      clock,
      logger: logger.child({ component: "sip" }),
      userAgent: `${config.sip.user_agent}/${version}`,
    });
    if (config.sip.allow_from.length === 0) {
      logger.warn("sip.allow_from is empty: recording sessions are accepted from any source", {
        code: "CONFIG_OPEN_SIP",
      });
    }
    const srs = createSrs({
      sip,
      spool,
      frames: dispatcher,
      ports: createPortPool(config.media.port_range),
      mediaAddress: config.media.address,
      ...(config.media.advertise ? { advertiseAddress: config.media.advertise } : {}),
      reorderMs: config.media.reorder_ms,
      latch: config.media.latch,
      roles: {
        order: config.srs.role_order,
        agentLabels: config.srs.agent_labels,
        ...(config.srs.agent_aor_pattern
          ? { agentAorPattern: new RegExp(config.srs.agent_aor_pattern) }
          : {}),
      },
      allowFrom: config.sip.allow_from,
      admission: () =>
        accepting
          ? { accept: true }
          : { accept: false, reason: "Service Unavailable (shutting down)", retryAfterS: 30 },
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

    const eventLog = logger.child({ component: "events" });
    const emit = (event: AppEvent): void => {
      counters.eventsEmitted = (counters.eventsEmitted ?? 0) + 1;
      eventLog.info(event.event, {
        sessionId: event.sessionId,
        correlation: event.correlation,
        body: event.body,
      });
      mqtt?.publishEvent(event).catch((err: unknown) => {
        counters.eventsFailed = (counters.eventsFailed ?? 0) + 1;
        eventLog.warn("event not published", { event: event.event, error: errorMessage(err) });
      });
    };
    wireEvents(srs, dispatcher, spool, { applianceId: config.appliance_id, clock }, emit);

    await sip.start();
    cleanups.push(() => sip.close());
    const sipListening = sip.listening().map((l) => `${l.transport}:${l.host}:${l.port}`);

    const status = (): StatusSnapshot =>
      buildStatus({
        applianceId: config.appliance_id,
        version,
        startedMs,
        srs,
        spool,
        spoolPath: config.spool.path,
        dispatcher,
        listening: () => sipListening,
        mqtt: { configured: mqtt !== undefined, connected: () => mqtt?.connected ?? false },
        accepting: () => accepting,
        counters: () => ({ ...counters, ...flatSipStats(sip.stats()) }),
        finalRtp,
      });

    const web: StatusServer = await startStatusServer({
      listen: config.web.listen,
      snapshot: status,
      logger: logger.child({ component: "web" }),
      ...webAuth(config),
    });
    cleanups.push(() => web.close());

    if (mqtt) {
      const publisher = mqtt;
      const publishStatus = (): void => publisher.publishStatus(statusSummary(status()));
      publishStatus();
      const timer = clock.setInterval(publishStatus, statusIntervalMs);
      cleanups.push(() => clock.clearTimer(timer));
    }

    cleanups.push(() => {
      accepting = false;
    });
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
      stop: () => {
        stopping ??= (async () => {
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

function webAuth(config: AppConfig): {
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

function flatSipStats(stats: { parseErrors: number; messagesIn: number }): Record<string, number> {
  return { sipParseErrors: stats.parseErrors, sipMessagesIn: stats.messagesIn };
}

function statusSummary(s: StatusSnapshot): Record<string, unknown> {
  return {
    state: "online",
    version: s.version,
    uptimeS: s.uptimeS,
    activeCalls: s.calls.live.length,
    accepting: s.health.accepting,
    spoolBytes: s.health.spool.bytes,
    sinks: s.calls.live.flatMap((c) =>
      c.sinks.map((u) => ({ sink: u.sink, callId: u.callId, state: u.state })),
    ),
  };
}
