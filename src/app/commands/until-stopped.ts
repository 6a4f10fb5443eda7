import { ExitCode, type RunningCommand } from "./command-types.ts";

/**
 * A running command whose `stop()` runs `close` and then resolves `done` with exit code 0;
 * `reload` (SIGHUP) is passed through when given.
 */
export function untilStopped(close: () => Promise<void>, reload?: () => Promise<void>): RunningCommand {
  let finished: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  return {
    done,
    ...(reload ? { reload } : {}),
    stop: async () => {
      await close();
      finished(ExitCode.Ok);
    },
  };
}
