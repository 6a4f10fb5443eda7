import type { ParticipantRole, StreamRecord } from "../spool/index.ts";
import type { ChannelOrder } from "./sink-types.ts";

const customerFirst: Record<ParticipantRole, number> = { customer: 0, unknown: 1, agent: 2 };
const agentFirst: Record<ParticipantRole, number> = { agent: 0, unknown: 1, customer: 2 };

/**
 * Orders the streams of a call into the channels of an interleaved stream: by role (customer or
 * agent first, `unknown` in between) or by label (numeric-aware); ties keep m-line order.
 * @returns a new array; element i becomes channel i.
 */
export function orderChannels(streams: readonly StreamRecord[], order: ChannelOrder): StreamRecord[] {
  const byMline = (a: StreamRecord, b: StreamRecord): number =>
    a.mlineIndex - b.mlineIndex || a.streamId - b.streamId;
  if (order === "label") {
    return [...streams].sort(
      (a, b) => a.label.localeCompare(b.label, "en", { numeric: true }) || byMline(a, b),
    );
  }
  const rank = order === "agent-first" ? agentFirst : customerFirst;
  return [...streams].sort((a, b) => rank[a.role] - rank[b.role] || byMline(a, b));
}
