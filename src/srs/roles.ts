import type { StreamBinding } from "../siprec/index.ts";
import type { ParticipantRecord, ParticipantRole } from "../spool/index.ts";

/** How participants get the roles agent/customer (DESIGN.md §2). */
export interface RoleRule {
  /** Role of the first m-line's sender when nothing else decides. */
  order: "customer-first" | "agent-first";
  /** Participants whose AOR matches are agents, the others customers. */
  agentAorPattern?: RegExp;
  /** Streams with these labels are sent by agents. */
  agentLabels: readonly string[];
}

/** One accepted m-line with its metadata binding, input to {@link assignRoles}. */
export interface BoundStream {
  /** m-line index in the offer. */
  mlineIndex: number;
  /** Label and the participant that sends it (may be empty). */
  binding: StreamBinding;
}

/**
 * Gives every participant a role and returns the role of each stream (by m-line index).
 * Order of precedence: AOR pattern, then agent labels, then m-line order (the sender of the
 * first accepted m-line is the customer for `customer-first`, the next one the agent).
 * Participants that send no stream keep `unknown` unless the AOR pattern decides.
 * @returns participants with roles (new objects) and the role per m-line index.
 */
export function assignRoles(
  participants: readonly ParticipantRecord[],
  streams: readonly BoundStream[],
  rule: RoleRule,
): { participants: ParticipantRecord[]; streamRoles: Map<number, ParticipantRole> } {
  const roleOf = new Map<string, ParticipantRole>();
  if (rule.agentAorPattern) {
    for (const p of participants)
      roleOf.set(p.participantId, rule.agentAorPattern.test(p.aor) ? "agent" : "customer");
  }
  const senders = streams.filter((s) => s.binding.senderParticipantId !== "");
  for (const s of senders) {
    if (!roleOf.has(s.binding.senderParticipantId) && rule.agentLabels.includes(s.binding.label)) {
      roleOf.set(s.binding.senderParticipantId, "agent");
    }
  }
  const firstRole: ParticipantRole = rule.order === "customer-first" ? "customer" : "agent";
  const otherRole: ParticipantRole = firstRole === "customer" ? "agent" : "customer";
  const byOrder = new Map<number, ParticipantRole>();
  streams.forEach((s, i) => {
    byOrder.set(s.mlineIndex, i === 0 ? firstRole : otherRole);
  });
  for (const s of senders) {
    if (!roleOf.has(s.binding.senderParticipantId)) {
      const decided = rule.agentLabels.length > 0 ? "customer" : (byOrder.get(s.mlineIndex) ?? "unknown");
      roleOf.set(s.binding.senderParticipantId, decided);
    }
  }
  const streamRoles = new Map<number, ParticipantRole>();
  for (const s of streams) {
    const sender = s.binding.senderParticipantId;
    const byLabel = rule.agentLabels.includes(s.binding.label) ? "agent" : undefined;
    streamRoles.set(
      s.mlineIndex,
      (sender ? roleOf.get(sender) : undefined) ?? byLabel ?? byOrder.get(s.mlineIndex) ?? "unknown",
    );
  }
  return {
    participants: participants.map((p) => ({ ...p, role: roleOf.get(p.participantId) ?? p.role })),
    streamRoles,
  };
}
