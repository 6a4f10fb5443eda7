/**
 * Control adapter: the appliance's event model, MQTT topics, the MQTT publisher and the relay that
 * publishes the spool's event outbox (DESIGN.md §6, §8). Imports only `lib` at runtime; sees the
 * spool and sinks as types.
 * @module
 */
export {
  type AlarmInput,
  alarm,
  spoolDiscardedAlarm,
  spoolHighWater,
  spoolRecovered,
} from "./appliance-events.ts";
export {
  MqttUrlError,
  PublisherClosedError,
  PublisherOfflineError,
  PublishRejectedError,
  TopicError,
} from "./errors.ts";
export { correlationOf, isEventName, isoFromUs } from "./event-common.ts";
export type * from "./event-types.ts";
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
