/**
 * Control adapter: the appliance's event model, the command model (validated parameters, replies,
 * stable error codes), MQTT topics, the MQTT client that publishes events and serves commands, and
 * the relay that publishes the spool's event outbox (DESIGN.md §5, §6, §8). Imports only `lib` at
 * runtime (plus the `mqtt` and `zod` packages); sees the spool and sinks as types.
 * @module
 */
export {
  type AlarmInput,
  alarm,
  type DrainedInput,
  drained,
  spoolDiscardedAlarm,
  spoolHighWater,
  spoolRecovered,
} from "./appliance-events.ts";
export { checkDeadline, deadlineOf, httpStatusOf, okReply, replyOf } from "./command-reply.ts";
export { testCallDurationS } from "./command-schema.ts";
export type * from "./command-types.ts";
export { type CommandName, commandNames, isCommandName, parseCommand } from "./commands.ts";
export {
  CommandError,
  type CommandErrorCode,
  type CommandErrorDetails,
  MqttUrlError,
  PublisherClosedError,
  PublisherOfflineError,
  PublishRejectedError,
  TopicError,
} from "./errors.ts";
export { correlationOf, isEventName, isoFromUs } from "./event-common.ts";
export type * from "./event-types.ts";
export {
  type SiprecForwardInput,
  siprecForwardFailed,
  siprecForwardStarted,
  siprecForwardStopped,
} from "./forward-events.ts";
export {
  createMqttPublisher,
  type MqttPublisher,
  type MqttPublisherEvents,
  type MqttPublisherOptions,
} from "./mqtt-publisher.ts";
export { createOutboxRelay } from "./outbox-relay.ts";
export type * from "./outbox-types.ts";
export {
  mediaTimeout,
  type RecordingPauseInput,
  recordingPaused,
  recordingResumed,
  sessionCompleted,
  sessionStarted,
  sessionUpdated,
  streamStarted,
  streamStopped,
} from "./session-events.ts";
export {
  type SinkAlarmInput,
  sinkAlarm,
  sinkCaughtUp,
  sinkConnected,
  sinkDisconnected,
} from "./sink-events.ts";
export { defaultTopicPrefix, type Topics, topics } from "./topics.ts";
