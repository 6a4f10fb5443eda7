/**
 * Routing of new calls (issue 4, item 3): which sinks a new recording session (RFC 7866) gets, from
 * the `routing` rules of the config or from the optional new-call webhook.
 * @module
 */
export { compileRouting } from "./compile-routing.ts";
export { RoutingConfigError } from "./errors.ts";
export { askNewCallWebhook } from "./new-call-webhook.ts";
export type {
  ForwardSpec,
  NewCallNotice,
  NewCallWebhookOptions,
  Router,
  RoutingDecision,
  RoutingInput,
  SinkChoice,
} from "./routing-types.ts";
