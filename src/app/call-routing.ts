import { errorCode, errorMessage, type Logger } from "../lib/index.ts";
import type { CallSinkChoice, ForwardChoice, SinkDispatcher, SiprecForwarder } from "../sinks/index.ts";
import type { CallRecord, StreamRecord } from "../spool/index.ts";
import type { InviteInfo } from "../srs/index.ts";
import { forwardChoice } from "./config-mapping.ts";
import type { RoutingConfig } from "./config-schema.ts";
import {
  askNewCallWebhook,
  compileRouting,
  type Router,
  type RoutingDecision,
  type RoutingInput,
} from "./routing/index.ts";

/** Options of {@link createCallRouting}. */
export interface CallRoutingOptions {
  routing: RoutingConfig;
  /** Names of the configured sinks (WebSocket and SIPREC). */
  sinkNames: string[];
  /** Names of the configured SIPREC forwarding sinks (a rule naming one forwards the call). */
  siprecSinkNames: string[];
  applianceId: string;
  dispatcher: SinkDispatcher;
  forwarder: SiprecForwarder;
  logger: Logger;
  /** Called when a call's sinks are decided later than its start (webhook): the SESSIONUPDATED `routing` event. */
  onRouted(call: CallRecord, decision: RoutingDecision): void;
}

/**
 * Decides which sinks each new call gets (DESIGN.md §5, config `routing`): the first matching rule
 * or the default, unless the new-call webhook answers in time with its own `startStream` objects.
 * Until the decision the dispatcher builds no unit for the call; its audio waits in the spool.
 */
export interface CallRouting {
  /**
   * Routes a call that was just answered. Returns the decision when it was made at once (rules
   * only), or undefined while the webhook is asked.
   */
  route(call: CallRecord, streams: readonly StreamRecord[], invite: InviteInfo): RoutingDecision | undefined;
  /** Whether the call's routing still waits for the webhook (call commands answer REQUEST_PENDING). */
  pending(callId: string): boolean;
  /** Applies a reloaded `routing` section and sink lists to calls answered from now on. */
  reconfigure(routing: RoutingConfig, sinkNames: string[], siprecSinkNames: string[]): void;
}

/** Creates the call router of the appliance. */
export function createCallRouting(options: CallRoutingOptions): CallRouting {
  const { dispatcher, logger } = options;
  let routing = options.routing;
  let sinkNames = options.sinkNames;
  let siprecNames = new Set(options.siprecSinkNames);
  let router: Router = compileRouting(routing, sinkNames);
  const waiting = new Set<string>();

  /** Routes the call; `late` (a webhook's answer) announces the decision, an immediate one goes in SESSIONSTARTED. */
  const apply = (call: CallRecord, decision: RoutingDecision, late: boolean): void => {
    const streams = decision.sinks.filter((s) => !siprecNames.has(s.sink)) as CallSinkChoice[];
    const forwards: ForwardChoice[] = [
      ...decision.sinks.filter((s) => siprecNames.has(s.sink)).map((s) => ({ sink: s.sink })),
      ...(decision.forwards ?? []).map(forwardChoice),
    ];
    try {
      dispatcher.route(call.callId, streams);
      options.forwarder.route(call.callId, forwards);
    } catch (err) {
      logger.error("call could not be routed", {
        code: errorCode(err),
        callId: call.callId,
        error: errorMessage(err),
      });
      return;
    }
    logger.info("call routed", {
      callId: call.callId,
      by: decision.by,
      ...(decision.rule ? { rule: decision.rule } : {}),
      sinks: decision.sinks.map((s) => s.sink),
      forwards: forwards.map((f) => f.sink),
    });
    if (late) options.onRouted(call, decision);
  };

  return {
    route(call, streams, invite) {
      const input: RoutingInput = {
        sourceAddress: invite.sourceAddress,
        requestUri: invite.requestUri,
        header: invite.header,
        participants: call.participants.map((p) => ({ aor: p.aor, name: p.name, role: p.role })),
        labels: streams.map((s) => s.label),
        correlation: call.correlation,
        metadataXml: call.metadataXml,
      };
      const byRules = router.decide(input);
      const webhook = routing.new_call_webhook;
      if (!webhook) {
        apply(call, byRules, false);
        return byRules;
      }
      waiting.add(call.callId);
      void askNewCallWebhook(
        {
          url: webhook.url,
          timeoutMs: webhook.timeout,
          headers: webhook.headers,
          configuredSinks: sinkNames,
          logger,
        },
        {
          sessionId: call.callId,
          applianceId: options.applianceId,
          sipCallId: call.sipCallId,
          source: call.source,
          requestUri: invite.requestUri,
          startedAt: new Date(call.startedUs / 1000).toISOString(),
          correlation: call.correlation,
          participants: call.participants.map((p) => ({
            participantId: p.participantId,
            aor: p.aor,
            name: p.name,
            role: p.role,
          })),
          streams: streams.map((s) => ({
            streamId: s.streamId,
            label: s.label,
            codec: s.codec,
            role: s.role,
          })),
        },
      )
        .catch(() => undefined)
        .then((answer) => {
          waiting.delete(call.callId);
          apply(call, answer ?? byRules, true);
        });
      return undefined;
    },
    pending: (callId) => waiting.has(callId),
    reconfigure(next, names, siprec) {
      router = compileRouting(next, names);
      routing = next;
      sinkNames = names;
      siprecNames = new Set(siprec);
    },
  };
}
