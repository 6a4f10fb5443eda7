/**
 * Control adapter: the appliance's event model, MQTT topics and the MQTT publisher
 * (DESIGN.md §6, §8). Imports only `lib` at runtime; sees the spool and sinks as types.
 * @module
 */
export {
  type AlarmInput,
  alarm,
  sinkCaughtUp,
  sinkConnected,
  sinkDisconnected,
  spoolHighWater,
  spoolRecovered,
} from "./appliance-events.ts";
export { MqttUrlError, PublisherClosedError, PublishRejectedError, TopicError } from "./errors.ts";
export { correlationOf, isoFromUs } from "./event-common.ts";
export type * from "./event-types.ts";
export { createMqttPublisher, type MqttPublisher, type MqttPublisherOptions } from "./mqtt-publisher.ts";
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
export { defaultTopicPrefix, type Topics, topics } from "./topics.ts";
