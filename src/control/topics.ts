import { TopicError } from "./errors.ts";
import type { EventName } from "./event-types.ts";

/**
 * The MQTT topics of one appliance (DESIGN.md §8): everything lives under
 * `<prefix>/v1/<applianceId>/`, so a broker ACL `siprec-edge/v1/%u/#` isolates appliances.
 * Every topic string of the appliance is built here and nowhere else.
 */
export interface Topics {
  /** `<prefix>/v1/<applianceId>`. */
  readonly base: string;
  /** `<base>/status`: retained appliance status; the Last Will sets it to `{"state":"offline"}`. */
  readonly status: string;
  /** `<base>/events/<EVENT>`: QoS 1 event stream. */
  event(name: EventName): string;
  /** `<base>/events/+`: filter matching every event topic. */
  readonly eventsFilter: string;
  /** `<base>/cmd/<name>`: a command request (MQTT 5 Response Topic + Correlation Data). */
  command(name: string): string;
  /** `<base>/cmd/+`: filter matching every command topic. */
  readonly commandsFilter: string;
  /** `<base>/reply/<level>/<level>…`: where a command's reply goes (one topic level per argument). */
  reply(...levels: string[]): string;
}

/** Default `mqtt.topic_prefix`. */
export const defaultTopicPrefix = "siprec-edge";

const forbiddenInLevel = /[/+#]/;
const forbiddenInPrefix = /[+#]/;

function checkLevel(value: string, what: string): string {
  if (value === "" || value.includes("\0") || forbiddenInLevel.test(value)) {
    throw new TopicError(`${what} ${JSON.stringify(value)} is not one MQTT topic level (no "/", "+", "#")`);
  }
  return value;
}

function checkPrefix(prefix: string): string {
  const levels = prefix.split("/");
  const bad = prefix.startsWith("$") || prefix.includes("\0") || forbiddenInPrefix.test(prefix);
  if (bad || levels.some((l) => l === "")) {
    throw new TopicError(
      `topic prefix ${JSON.stringify(prefix)} must be non-empty levels without "+", "#" or a leading "$"`,
    );
  }
  return prefix;
}

/**
 * Builds the topic set of an appliance (MQTT 5 §4.7 topic names).
 * @param prefix `mqtt.topic_prefix`, e.g. `siprec-edge` (may span levels: `acme/siprec-edge`).
 * @param applianceId one topic level, e.g. `edge-01`.
 * @throws TopicError `CONTROL_BAD_TOPIC` for an empty level, a wildcard, NUL, or a leading `$`.
 */
export function topics(prefix: string, applianceId: string): Topics {
  const base = `${checkPrefix(prefix)}/v1/${checkLevel(applianceId, "appliance id")}`;
  return {
    base,
    status: `${base}/status`,
    event: (name) => `${base}/events/${checkLevel(name, "event name")}`,
    eventsFilter: `${base}/events/+`,
    command: (name) => `${base}/cmd/${checkLevel(name, "command name")}`,
    commandsFilter: `${base}/cmd/+`,
    reply: (...levels) => {
      if (levels.length === 0) throw new TopicError("a reply topic needs at least one level");
      return `${base}/reply/${levels.map((l) => checkLevel(l, "reply level")).join("/")}`;
    },
  };
}
