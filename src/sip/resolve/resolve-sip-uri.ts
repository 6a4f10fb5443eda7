import type { NaptrRecord } from "node:dns";
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { errorCode, errorMessage, type Logger, silentLogger } from "../../lib/index.ts";
import type { SipUri } from "../message/index.ts";
import { SipResolveError } from "./errors.ts";
import { formatSipTarget } from "./format-target.ts";
import type { DnsLookup, ResolveOptions, SipTarget, SipTargetTransport } from "./resolve-types.ts";
import { orderSrvRecords } from "./srv-order.ts";
import { defaultSipPort, fallbackTransport, readUriTarget, type UriTarget } from "./uri-target.ts";

/** Transports tried when `ResolveOptions.transports` is not given, most preferred first. */
export const defaultSipTransports: readonly SipTargetTransport[] = ["tls", "tcp", "udp"];

/** SRV owner-name prefix per transport (RFC 3263 §4.1; TLS uses `_sips` even for a SIP URI). */
const srvPrefix: Record<SipTargetTransport, string> = {
  tls: "_sips._tcp.",
  tcp: "_sip._tcp.",
  udp: "_sip._udp.",
};

/** NAPTR `service` values this client understands (RFC 3263 §4.1, IANA "SIP NAPTR services"). */
const naptrServices: ReadonlyMap<string, SipTargetTransport> = new Map([
  ["SIP+D2U", "udp"],
  ["SIP+D2T", "tcp"],
  ["SIPS+D2T", "tls"],
]);

/** DNS error codes that mean "no such records" rather than "the lookup itself failed". */
const noRecordCodes: ReadonlySet<string> = new Set(["ENOTFOUND", "ENODATA"]);

/** One resolution's settings and what it asked DNS, for the error message. */
interface Resolution {
  dns: DnsLookup;
  transports: readonly SipTargetTransport[];
  families: readonly (4 | 6)[];
  random: () => number;
  logger: Logger;
  /** The URI's host (or maddr), copied into every target's `domain`. */
  domain: string;
  /** Queries made, e.g. `NAPTR example.com`, `SRV _sip._udp.example.com`. */
  asked: string[];
  /** The last DNS failure, kept as the `cause` of a `SIP_RESOLVE_FAILED`. */
  lastError: unknown;
}

/**
 * Turns a SIP or SIPS URI into the ordered targets (transport, IP address, port) to try, as
 * RFC 3263 §4.1–4.2 says:
 * - numeric host (or `maddr`): that address, with the URI's port or the transport's default;
 * - explicit port: A/AAAA of the host, on that port;
 * - explicit `transport=`: SRV for that transport (`_sips._tcp` for TLS), else A/AAAA on the
 *   default port;
 * - otherwise NAPTR (`SIP+D2U`, `SIP+D2T`, `SIPS+D2T`; only `SIPS+D2T` for a `sips:` URI; services
 *   not in `options.transports` dropped), by `order` then `preference` → SRV of each replacement;
 * - no usable NAPTR: SRV `_sips._tcp`, `_sip._tcp`, `_sip._udp` (those of `options.transports`, in
 *   its order; only `_sips._tcp` for `sips:`);
 * - no SRV either: A/AAAA of the host on port 5060 over UDP (5061 over TLS for `sips:`).
 *
 * SRV records are ordered per RFC 2782 (priority ascending, weighted random within a priority, with
 * `options.random`), and each SRV target expands to its A then AAAA addresses. Duplicate targets
 * are dropped. Try them in order, one per transaction, moving on after a 503, a timeout or a
 * transport error (RFC 3263 §4.3; see `TargetSet`).
 *
 * @param uri the URI as text (`sips:srs.example.com`) or parsed.
 * @returns at least one target.
 * @throws SipResolveError `SIP_RESOLVE_FAILED` when DNS yields no address (NXDOMAIN, no records,
 *   server failure; `host` names the name, `cause` is the last DNS error), `SIP_RESOLVE_BAD_URI`,
 *   `SIP_RESOLVE_UNSUPPORTED_TRANSPORT` (see {@link SipResolveError}).
 */
export async function resolveSipUri(
  uri: string | SipUri,
  options: ResolveOptions = {},
): Promise<SipTarget[]> {
  const transports = options.transports ?? defaultSipTransports;
  const target = readUriTarget(uri, transports);
  const resolution: Resolution = {
    dns: options.resolver ?? new Resolver(),
    transports,
    families: options.ipFamilies ?? [4, 6],
    random: options.random ?? Math.random,
    logger: options.logger ?? silentLogger,
    domain: target.name,
    asked: [],
    lastError: undefined,
  };
  const targets = withoutDuplicates(await locate(resolution, target));
  if (targets.length === 0) {
    throw new SipResolveError(
      "SIP_RESOLVE_FAILED",
      `no address found for "${target.name}" (asked ${resolution.asked.join(", ")})`,
      { host: target.name, cause: resolution.lastError },
    );
  }
  resolution.logger.debug("SIP URI resolved", {
    uri: typeof uri === "string" ? uri : uri.raw,
    targets: targets.map(formatSipTarget),
  });
  return targets;
}

/** RFC 3263 §4.1–4.2 decision tree (see {@link resolveSipUri}). */
async function locate(resolution: Resolution, target: UriTarget): Promise<SipTarget[]> {
  const { name } = target;
  if (target.numeric) {
    const transport = fallbackTransport(target, resolution.transports);
    const port = target.port ?? defaultSipPort(transport);
    return [{ transport, address: name, port, host: name, domain: name }];
  }
  if (target.port !== undefined) {
    return hostTargets(resolution, name, fallbackTransport(target, resolution.transports), target.port);
  }
  if (target.transport !== undefined) {
    const transport = target.transport;
    const viaSrv = await srvTargets(resolution, srvPrefix[transport] + name, transport);
    return viaSrv ?? hostTargets(resolution, name, transport, defaultSipPort(transport));
  }
  const viaNaptr = await naptrTargets(resolution, target);
  if (viaNaptr !== undefined) return viaNaptr;
  const viaSrv = await srvTargetsPerTransport(resolution, target);
  if (viaSrv !== undefined) return viaSrv;
  const transport = fallbackTransport(target, resolution.transports);
  return hostTargets(resolution, name, transport, defaultSipPort(transport));
}

/**
 * NAPTR step (RFC 3263 §4.1): usable records by `order` then `preference`, each followed to its SRV
 * replacement. `undefined` when the name has no NAPTR record this client can use.
 */
async function naptrTargets(resolution: Resolution, target: UriTarget): Promise<SipTarget[] | undefined> {
  const records = await ask(resolution, "NAPTR", target.name, (dns, n) => dns.resolveNaptr(n));
  if (records === undefined) return undefined;
  const usable = usableNaptr(records, target.secure, resolution.transports);
  if (usable.length === 0) {
    resolution.logger.debug("no usable NAPTR record", { name: target.name, records: records.length });
    return undefined;
  }
  const lists = await Promise.all(
    usable.map(({ record, transport }) => srvTargets(resolution, record.replacement, transport)),
  );
  return lists.flatMap((list) => list ?? []);
}

/**
 * Keeps the NAPTR records RFC 3263 §4.1 lets a client use: flag `S`, a service this client supports
 * (only `SIPS+D2T` for a SIPS URI), a replacement; sorted by `order`, then `preference`.
 */
function usableNaptr(
  records: readonly NaptrRecord[],
  secure: boolean,
  supported: readonly SipTargetTransport[],
): { record: NaptrRecord; transport: SipTargetTransport }[] {
  const usable: { record: NaptrRecord; transport: SipTargetTransport }[] = [];
  for (const record of records) {
    const transport = naptrServices.get(record.service.toUpperCase());
    if (transport === undefined || !supported.includes(transport)) continue;
    if (secure && transport !== "tls") continue;
    if (record.flags.toLowerCase() !== "s" || record.replacement === "" || record.replacement === ".")
      continue;
    usable.push({ record, transport });
  }
  return usable.sort((a, b) => a.record.order - b.record.order || a.record.preference - b.record.preference);
}

/**
 * No-NAPTR step (RFC 3263 §4.1): "the client constructs SRV queries for those transport protocols it
 * supports, and does a query for each", in the client's preference order. `undefined` when none of
 * them has SRV records.
 */
async function srvTargetsPerTransport(
  resolution: Resolution,
  target: UriTarget,
): Promise<SipTarget[] | undefined> {
  const transports = resolution.transports.filter((transport) => !target.secure || transport === "tls");
  const lists = await Promise.all(
    transports.map((transport) => srvTargets(resolution, srvPrefix[transport] + target.name, transport)),
  );
  if (lists.every((list) => list === undefined)) return undefined;
  return lists.flatMap((list) => list ?? []);
}

/**
 * SRV step (RFC 3263 §4.2 with RFC 2782 ordering): each record's target expanded to its addresses on
 * the record's port. `undefined` when `srvName` has no SRV record.
 */
async function srvTargets(
  resolution: Resolution,
  srvName: string,
  transport: SipTargetTransport,
): Promise<SipTarget[] | undefined> {
  const records = await ask(resolution, "SRV", srvName, (dns, n) => dns.resolveSrv(n));
  if (records === undefined) return undefined;
  const ordered = orderSrvRecords(records, resolution.random);
  const lists = await Promise.all(
    ordered.map((record) => hostTargets(resolution, record.name, transport, record.port)),
  );
  return lists.flat();
}

/** A/AAAA step (RFC 3263 §4.2): every address of `name`, in `ipFamilies` order, on `port`. */
async function hostTargets(
  resolution: Resolution,
  name: string,
  transport: SipTargetTransport,
  port: number,
): Promise<SipTarget[]> {
  if (isIP(name) !== 0) return [{ transport, address: name, port, host: name, domain: resolution.domain }];
  const lists = await Promise.all(
    resolution.families.map((family) =>
      family === 4
        ? ask(resolution, "A", name, (dns, n) => dns.resolve4(n))
        : ask(resolution, "AAAA", name, (dns, n) => dns.resolve6(n)),
    ),
  );
  return lists
    .flatMap((list) => list ?? [])
    .map((address) => ({ transport, address, port, host: name, domain: resolution.domain }));
}

/**
 * Runs one DNS query; `undefined` when it found nothing or failed (remembered as `lastError`;
 * anything but NXDOMAIN/NODATA is logged as a warning, since the resolution goes on without it).
 */
async function ask<T>(
  resolution: Resolution,
  type: string,
  name: string,
  query: (dns: DnsLookup, name: string) => Promise<T[]>,
): Promise<T[] | undefined> {
  resolution.asked.push(`${type} ${name}`);
  try {
    const records = await query(resolution.dns, name);
    return records.length > 0 ? records : undefined;
  } catch (err) {
    resolution.lastError = err;
    const fields = { name, code: errorCode(err), error: errorMessage(err) };
    if (noRecordCodes.has(fields.code)) resolution.logger.debug(`no DNS ${type} record`, fields);
    else resolution.logger.warn(`DNS ${type} query failed`, fields);
    return undefined;
  }
}

function withoutDuplicates(targets: readonly SipTarget[]): SipTarget[] {
  const seen = new Set<string>();
  return targets.filter((target) => {
    const key = formatSipTarget(target);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
