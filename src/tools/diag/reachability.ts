import { createSocket } from "node:dgram";
import { lookup, Resolver } from "node:dns/promises";
import { isIP, connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { errorMessage, randomHex } from "../../lib/index.ts";

/** Something upstream the appliance talks to: the MQTT broker, a sink, the new-call webhook. */
export interface ReachTarget {
  /** What it is, e.g. `mqtt`, `sink ai`, `new_call_webhook`. */
  name: string;
  /** Its address as configured: an mqtt(s)://, ws(s)://, http(s):// URL or a sip(s): URI. */
  address: string;
  /** DNS servers to ask instead of the system's (config `sip.dns_servers`, for SIP URIs). */
  dnsServers?: string[];
  /** CA bundle (PEM text) the TLS certificate is checked against; default: the system's. */
  ca?: string;
}

/** Where and how a target is reached, parsed from its address. */
export interface Endpoint {
  host: string;
  port: number;
  transport: "tcp" | "tls" | "udp";
  /** The port came from the address (not a scheme default): SIP then skips the SRV lookup. */
  explicitPort: boolean;
}

/** The result of probing one target. Credentials are never sent: no user, password or client certificate. */
export interface ReachResult {
  name: string;
  endpoint?: Endpoint;
  dns?: { ok: boolean; ms: number; addresses?: string[]; srv?: string[]; error?: string };
  tcp?: { ok: boolean; ms: number; address?: string; error?: string };
  tls?: {
    ok: boolean;
    ms: number;
    authorized?: boolean;
    authorizationError?: string;
    protocol?: string;
    subject?: string;
    issuer?: string;
    subjectAltName?: string;
    validTo?: string;
    daysLeft?: number;
    error?: string;
  };
  sipOptions?: { answered: boolean; ms: number; statusLine?: string; error?: string };
  error?: string;
}

const defaultPorts: Record<string, [number, Endpoint["transport"]]> = {
  "mqtt:": [1883, "tcp"],
  "mqtts:": [8883, "tls"],
  "ws:": [80, "tcp"],
  "wss:": [443, "tls"],
  "http:": [80, "tcp"],
  "https:": [443, "tls"],
};

/**
 * Parses a target address into host, port and transport: URLs by scheme default ports; SIP URIs
 * (RFC 3261 §19.1) by `sips:` or `;transport=` (udp 5060, tcp 5060, tls 5061).
 * @returns undefined when the address is neither.
 */
export function parseEndpoint(address: string): Endpoint | undefined {
  const sip = /^(sips?):(?:[^@;]*@)?(\[[0-9a-fA-F:.]+\]|[^:;?]+)(?::(\d{1,5}))?([^?]*)/i.exec(address);
  if (sip) {
    const secure = sip[1]?.toLowerCase() === "sips";
    const param = /;transport=(\w+)/i.exec(sip[4] ?? "")?.[1]?.toLowerCase();
    const transport: Endpoint["transport"] =
      secure || param === "tls" ? "tls" : param === "tcp" ? "tcp" : "udp";
    const host = (sip[2] ?? "").replace(/^\[|\]$/g, "");
    const port = sip[3] ? Number(sip[3]) : transport === "tls" ? 5061 : 5060;
    return { host, port, transport, explicitPort: sip[3] !== undefined };
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  const known = defaultPorts[url.protocol];
  if (!known) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return {
    host,
    port: url.port ? Number(url.port) : known[0],
    transport: known[1],
    explicitPort: url.port !== "",
  };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function resolve(
  target: ReachTarget,
  endpoint: Endpoint,
  timeoutMs: number,
): Promise<{ addresses: string[]; srv?: string[]; port: number }> {
  if (isIP(endpoint.host)) return { addresses: [endpoint.host], port: endpoint.port };
  const sip = /^sips?:/i.test(target.address);
  const resolver = new Resolver({ timeout: Math.min(timeoutMs, 2000), tries: 2 });
  if (target.dnsServers && target.dnsServers.length > 0) resolver.setServers(target.dnsServers);
  if (sip && !endpoint.explicitPort) {
    const service = endpoint.transport === "tls" ? "_sips._tcp" : `_sip._${endpoint.transport}`;
    const srv = await withTimeout(resolver.resolveSrv(`${service}.${endpoint.host}`), timeoutMs, "SRV").catch(
      () => [],
    );
    const first = [...srv].sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
    if (first) {
      const addresses = await withTimeout(lookup(first.name, { all: true }), timeoutMs, "DNS");
      return {
        addresses: addresses.map((a) => a.address),
        srv: srv.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`),
        port: first.port,
      };
    }
  }
  if (target.dnsServers && target.dnsServers.length > 0) {
    const v4 = await withTimeout(resolver.resolve4(endpoint.host), timeoutMs, "DNS").catch(
      () => [] as string[],
    );
    const v6 = await withTimeout(resolver.resolve6(endpoint.host), timeoutMs, "DNS").catch(
      () => [] as string[],
    );
    if (v4.length + v6.length === 0) throw new Error(`${endpoint.host} has no A or AAAA record`);
    return { addresses: [...v4, ...v6], port: endpoint.port };
  }
  const found = await withTimeout(lookup(endpoint.host, { all: true }), timeoutMs, "DNS");
  return { addresses: found.map((a) => a.address), port: endpoint.port };
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<NonNullable<ReachResult["tcp"]>> {
  const started = performance.now();
  return new Promise((done) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs });
    const end = (result: Omit<NonNullable<ReachResult["tcp"]>, "ms">): void => {
      socket.destroy();
      done({ ...result, ms: Math.round(performance.now() - started) });
    };
    socket.once("connect", () => end({ ok: true, address: `${socket.remoteAddress}:${socket.remotePort}` }));
    socket.once("timeout", () => end({ ok: false, error: `no connection within ${timeoutMs} ms` }));
    socket.once("error", (err) => end({ ok: false, error: errorMessage(err) }));
  });
}

function probeTls(
  address: string,
  servername: string,
  port: number,
  ca: string | undefined,
  timeoutMs: number,
): Promise<NonNullable<ReachResult["tls"]>> {
  const started = performance.now();
  return new Promise((done) => {
    const socket = tlsConnect({
      host: address,
      port,
      ...(isIP(servername) ? {} : { servername }),
      ...(ca ? { ca } : {}),
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const end = (result: Omit<NonNullable<ReachResult["tls"]>, "ms">): void => {
      socket.destroy();
      done({ ...result, ms: Math.round(performance.now() - started) });
    };
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      const validTo = cert.valid_to ? new Date(cert.valid_to) : undefined;
      end({
        ok: true,
        authorized: socket.authorized,
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
        protocol: socket.getProtocol() ?? "unknown",
        ...(cert.subject
          ? {
              subject: Object.entries(cert.subject)
                .map(([k, v]) => `${k}=${v}`)
                .join(", "),
            }
          : {}),
        ...(cert.issuer
          ? {
              issuer: Object.entries(cert.issuer)
                .map(([k, v]) => `${k}=${v}`)
                .join(", "),
            }
          : {}),
        ...(cert.subjectaltname ? { subjectAltName: cert.subjectaltname } : {}),
        ...(validTo
          ? {
              validTo: validTo.toISOString(),
              daysLeft: Math.floor((validTo.getTime() - Date.now()) / 86_400_000),
            }
          : {}),
      });
    });
    socket.once("timeout", () => end({ ok: false, error: `no TLS handshake within ${timeoutMs} ms` }));
    socket.once("error", (err) => end({ ok: false, error: errorMessage(err) }));
  });
}

/**
 * Sends one SIP OPTIONS (RFC 3261 §11) over UDP from an ephemeral port, retransmitted after 500 ms,
 * and waits for any answer: some SRSs answer 200, others 405 or 403; any status line proves the
 * path works. No credentials or appliance identity beyond the user agent are sent.
 */
export function probeSipOptions(
  address: string,
  port: number,
  timeoutMs: number,
): Promise<NonNullable<ReachResult["sipOptions"]>> {
  const started = performance.now();
  return new Promise((done) => {
    const socket = createSocket(isIP(address) === 6 ? "udp6" : "udp4");
    const timers: ReturnType<typeof setTimeout>[] = [];
    let finished = false;
    const end = (result: Omit<NonNullable<ReachResult["sipOptions"]>, "ms">): void => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      socket.close();
      done({ ...result, ms: Math.round(performance.now() - started) });
    };
    socket.once("error", (err) => end({ answered: false, error: errorMessage(err) }));
    socket.on("message", (msg) => {
      const line = msg.toString("utf8").split("\r\n")[0] ?? "";
      if (line.startsWith("SIP/2.0 ")) end({ answered: true, statusLine: line });
    });
    socket.connect(port, address, () => {
      const local = socket.address();
      const host = local.family === "IPv6" ? `[${local.address}]` : local.address;
      const target = isIP(address) === 6 ? `[${address}]` : address;
      const message = [
        `OPTIONS sip:${target}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${host}:${local.port};branch=z9hG4bK${randomHex(8)};rport`,
        "Max-Forwards: 70",
        `From: <sip:diag@${host}>;tag=${randomHex(6)}`,
        `To: <sip:${target}:${port}>`,
        `Call-ID: ${randomHex(12)}@siprec-edge-diag`,
        "CSeq: 1 OPTIONS",
        "User-Agent: siprec-edge-diag",
        "Accept: application/sdp",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      const send = (): void => {
        if (!finished) socket.send(message);
      };
      send();
      timers.push(setTimeout(send, 500));
      timers.push(
        setTimeout(() => end({ answered: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs),
      );
    });
  });
}

/**
 * Probes one target: DNS (SRV first for a SIP URI without a port), then TCP connect, then the TLS
 * handshake (certificate subject, issuer, expiry, whether it verifies) for TLS transports, or a
 * SIP OPTIONS for SIP over UDP. Each part has its own `timeoutMs`; failures are results, not throws.
 */
export async function probeTarget(target: ReachTarget, timeoutMs = 5000): Promise<ReachResult> {
  const endpoint = parseEndpoint(target.address);
  if (!endpoint) return { name: target.name, error: "not a URL or SIP URI this tool knows" };
  const result: ReachResult = { name: target.name, endpoint };
  const started = performance.now();
  let resolved: Awaited<ReturnType<typeof resolve>>;
  try {
    resolved = await resolve(target, endpoint, timeoutMs);
    result.dns = {
      ok: true,
      ms: Math.round(performance.now() - started),
      addresses: resolved.addresses,
      ...(resolved.srv ? { srv: resolved.srv } : {}),
    };
  } catch (err) {
    result.dns = { ok: false, ms: Math.round(performance.now() - started), error: errorMessage(err) };
    return result;
  }
  const address = resolved.addresses[0] ?? endpoint.host;
  if (endpoint.transport === "udp") {
    result.sipOptions = await probeSipOptions(address, resolved.port, timeoutMs);
    return result;
  }
  result.tcp = await probeTcp(address, resolved.port, timeoutMs);
  if (result.tcp.ok && endpoint.transport === "tls") {
    result.tls = await probeTls(address, endpoint.host, resolved.port, target.ca, timeoutMs);
  }
  return result;
}
