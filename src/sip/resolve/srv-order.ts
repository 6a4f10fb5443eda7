import type { SrvRecord } from "node:dns";

/**
 * Whether an SRV record's target is "." (the root): RFC 2782 "the service is decidedly not
 * available at this domain". Resolvers report it as `""` or `"."`.
 */
export function isNoServiceTarget(record: SrvRecord): boolean {
  return record.name === "" || record.name === ".";
}

/**
 * Orders SRV records for trying, as RFC 2782 ("Usage rules") says: lowest `priority` first; within a
 * priority, a weighted random draw without replacement. Records with target "." are dropped.
 *
 * RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except that all
 * those with weight 0 are placed at the beginning of the list. Compute the sum of the weights of
 * those RRs, and with each RR associate the running sum in the selected order. Then choose a
 * uniform random number between 0 and the sum computed (inclusive), and select the RR whose running
 * sum value is the first in the selected order which is greater than or equal to the random number
 * selected." So a record of weight 60 next to one of 20 comes first about 3 times in 4, and a
 * weight-0 record comes first only when the draw is 0.
 *
 * @param random uniform numbers in [0, 1) (e.g. `Math.random`), one per pick.
 * @returns a new array; `records` is not modified.
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const usable = records.filter((record) => !isNoServiceTarget(record));
  const priorities = [...new Set(usable.map((record) => record.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    const group = usable.filter((record) => record.priority === priority);
    const pending = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight > 0)];
    while (pending.length > 0) {
      const index = drawIndex(pending, random);
      ordered.push(...pending.splice(index, 1));
    }
  }
  return ordered;
}

/** Index of the record selected by one RFC 2782 weighted draw over `pending` (non-empty). */
function drawIndex(pending: readonly SrvRecord[], random: () => number): number {
  let total = 0;
  for (const record of pending) total += record.weight;
  const draw = Math.min(total, Math.floor(random() * (total + 1)));
  let running = 0;
  for (let i = 0; i < pending.length; i++) {
    running += pending[i]?.weight ?? 0;
    if (running >= draw) return i;
  }
  return pending.length - 1;
}
