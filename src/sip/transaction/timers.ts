/**
 * RFC 3261 §17 timer base values (ms). Timers A–K derive from these (Table 4 of RFC 3261 §A):
 * e.g. Timer G starts at T1 and doubles to T2, Timer H/J = 64·T1, Timer I = T4.
 */
export interface SipTimers {
  /** RTT estimate, ms. @default 500 */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, ms. @default 4000 */
  t2: number;
  /** Maximum time a message stays in the network, ms. @default 5000 */
  t4: number;
}

/** RFC 3261 §17 defaults: T1 500 ms, T2 4 s, T4 5 s. */
export const defaultSipTimers: Readonly<SipTimers> = { t1: 500, t2: 4000, t4: 5000 };

/** Merges overrides into the defaults. */
export function resolveTimers(overrides: Partial<SipTimers> = {}): SipTimers {
  return { ...defaultSipTimers, ...overrides };
}
