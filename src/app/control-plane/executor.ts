import {
  CommandError,
  type CommandHandler,
  type CommandReply,
  checkDeadline,
  commandNames,
  deadlineOf,
  type ParsedCommand,
  parseCommand,
  replyOf,
} from "../../control/index.ts";
import type { Clock, Logger } from "../../lib/index.ts";
import type { CallState } from "../../spool/index.ts";
import type { StatusSnapshot } from "../../web/index.ts";
import {
  type CallCommandDeps,
  setPaused,
  startSiprecForward,
  startStream,
  stopSiprecForward,
  stopStream,
} from "./call-commands.ts";
import type { ReloadPlan } from "./config-reload.ts";
import type { Drain } from "./drain.ts";
import type { TestCaller } from "./test-call.ts";

/** What the executor needs from the running appliance. */
export interface ExecutorDeps extends CallCommandDeps {
  /** Starts or cancels the drain (`drain`, `drain {cancel: true}`). */
  drain: Pick<Drain, "start" | "cancel">;
  /** The status snapshot (`getStatus`). */
  status(): StatusSnapshot;
  /**
   * Re-reads and applies the configuration file (`reloadConfig`).
   * @throws ConfigError when the file is invalid: nothing changes.
   */
  reload(): ReloadPlan;
  /** Places test calls (`testCall`). */
  testCall: Pick<TestCaller, "start">;
  /** Whether the appliance is fully started (commands that arrive before wait for it, then run or expire). */
  ready(): boolean;
  clock: Clock;
  logger: Logger;
}

/** The command executor: one model for MQTT and HTTP (DESIGN.md §6, §8). */
export interface CommandExecutor {
  /** Known command names. */
  readonly names: readonly string[];
  /** Parses, checks the deadline and runs a command; never rejects (errors become error replies). */
  readonly run: CommandHandler;
}

/**
 * Creates the executor of the appliance's commands (README "Commands"): parses with the command
 * schema (unknown names and bad fields are refused with what to send instead), refuses a command
 * past its deadline (`expiresAt`, or the MQTT Message Expiry Interval) with EXPIRED, and logs
 * every command with its outcome.
 */
export function createCommandExecutor(deps: ExecutorDeps): CommandExecutor {
  const log = deps.logger.child({ component: "commands" });
  const nowMs = (): number => Math.floor(deps.clock.wallUs() / 1000);

  const execute = (command: ParsedCommand): Record<string, unknown> | Promise<Record<string, unknown>> => {
    switch (command.name) {
      case "startStream":
        return startStream(deps, command.params);
      case "stopStream":
        return stopStream(deps, command.params);
      case "startSIPRecForward":
        return startSiprecForward(deps, command.params);
      case "stopSIPRecForward":
        return stopSiprecForward(deps, command.params);
      case "pauseRecording":
        return setPaused(deps, command.params, true);
      case "resumeRecording":
        return setPaused(deps, command.params, false);
      case "getStatus":
        return deps.status() as unknown as Record<string, unknown>;
      case "listCalls":
        return listCalls(deps, command.params);
      case "reloadConfig":
        return { ...deps.reload() };
      case "drain":
        return { ...(command.params.cancel ? deps.drain.cancel() : deps.drain.start()) };
      case "testCall":
        return deps.testCall.start(command.params);
    }
  };

  const run: CommandHandler = async (name, params, meta): Promise<CommandReply> => {
    let reply: CommandReply;
    try {
      const command = parseCommand(name, params);
      const deadlineMs = deadlineOf(command.expiresAtMs, meta.deadlineMs);
      checkDeadline(deadlineMs, nowMs());
      if (!deps.ready())
        throw new CommandError("UNAVAILABLE", "the appliance is starting or stopping; retry shortly");
      reply = { ok: true, result: await execute(command) };
    } catch (err) {
      reply = replyOf(err);
    }
    const fields = { command: name, via: meta.via, ok: reply.ok };
    if (reply.ok) log.info("command executed", fields);
    else log.warn("command refused", { ...fields, code: reply.error.code, error: reply.error.message });
    return reply;
  };

  return { names: commandNames, run };
}

const callStates: Record<string, CallState[]> = {
  live: ["live"],
  completed: ["completed"],
  recovered: ["recovered"],
  all: ["live", "completed", "recovered"],
};

/** `listCalls`: the calls in the spool, newest first, with correlation ids, participants and sinks. */
function listCalls(
  deps: ExecutorDeps,
  params: Extract<ParsedCommand, { name: "listCalls" }>["params"],
): Record<string, unknown> {
  const calls = deps.spool.listCalls({ state: callStates[params.state] ?? ["live"], limit: params.limit });
  return {
    calls: calls.map((call) => ({
      sessionId: call.callId,
      sipCallId: call.sipCallId,
      state: call.state,
      reason: call.reason,
      source: call.source,
      startedAt: new Date(call.startedUs / 1000).toISOString(),
      endedAt: call.endedUs > 0 ? new Date(call.endedUs / 1000).toISOString() : null,
      correlation: call.correlation,
      participants: call.participants.map((p) => ({
        participantId: p.participantId,
        aor: p.aor,
        role: p.role,
      })),
      sinks: deps.dispatcher.callSinks(call.callId) ?? null,
    })),
  };
}
