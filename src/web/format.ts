/** Formats an ISO-8601 time as `YYYY-MM-DD HH:MM:SS` (UTC), or `—` when absent or invalid. */
export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** Formats a duration in ms as `1 h 02 min`, `3 min 05 s` or `42 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${sec} s`;
}

/** Milliseconds between two ISO-8601 times (`end` null = `nowMs`); 0 if unparsable. */
export function elapsedMs(startIso: string, endIso: string | null, nowMs: number): number {
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : nowMs;
  return Number.isNaN(start) || Number.isNaN(end) ? 0 : end - start;
}

/** Formats `lost` of `received + lost` packets as a percentage with one decimal, e.g. `0.3 %`. */
export function formatLoss(received: number, lost: number): string {
  const expected = received + lost;
  return expected > 0 ? `${((lost / expected) * 100).toFixed(1)} %` : "0.0 %";
}

/** Peak linear level (0–32767) in dBFS, floored at −90. */
export function levelDbfs(level: number): number {
  return level > 0 ? Math.max(-90, 20 * Math.log10(level / 32767)) : -90;
}

/** Peak linear level (0–32767) as 0–100 on a −60…0 dBFS scale, for the level meter. */
export function levelPercent(level: number): number {
  return Math.round(Math.min(100, Math.max(0, ((levelDbfs(level) + 60) / 60) * 100)));
}
