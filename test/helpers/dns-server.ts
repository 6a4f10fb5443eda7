import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";

/** A NAPTR record (RFC 3403) served by {@link startDnsServer}. */
export interface TestNaptrRecord {
  /** Owner name, e.g. `example.test`. */
  name: string;
  order: number;
  preference: number;
  /** @default "s" (the next lookup is SRV) */
  flags?: string;
  /** e.g. `SIP+D2T`, `SIPS+D2T`, `SIP+D2U`. */
  service: string;
  /** @default "" */
  regexp?: string;
  /** The next name to look up, e.g. `_sip._tcp.example.test`. */
  replacement: string;
}

/** An SRV record (RFC 2782) served by {@link startDnsServer}. */
export interface TestSrvRecord {
  /** Owner name, e.g. `_sip._tcp.example.test`. */
  name: string;
  /** Target host name. */
  target: string;
  port: number;
  priority: number;
  weight: number;
}

/** The records of a {@link startDnsServer} server; every other name answers NXDOMAIN. */
export interface TestDnsZone {
  naptr?: TestNaptrRecord[];
  srv?: TestSrvRecord[];
  /** A (IPv4) and AAAA (IPv6) records: name → addresses. */
  hosts?: Record<string, string[]>;
}

/** A DNS server owned by a test, on 127.0.0.1 only. */
export interface TestDnsServer {
  /** UDP/TCP port it answers on (127.0.0.1). */
  readonly port: number;
  /** A `node:dns` resolver that asks only this server (1 s timeout, 2 tries). */
  readonly resolver: Resolver;
  /** Stops the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

const dnsmasqBin = "/usr/sbin/dnsmasq";
const readyTimeoutMs = 5_000;
const portAttempts = 5;

/**
 * Starts Debian's dnsmasq (package `dnsmasq` / `dnsmasq-base`) as an authoritative-only server for
 * `zone` on a free 127.0.0.1 port (no upstream, no /etc/hosts, no config file; names outside the
 * zone get NXDOMAIN), and resolves once it answers queries. Tests must call `stop()`.
 * @throws Error when dnsmasq is missing, exits early or does not answer within 5 s.
 */
export async function startDnsServer(zone: TestDnsZone): Promise<TestDnsServer> {
  let lastError: unknown;
  for (let i = 0; i < portAttempts; i++) {
    try {
      return await launch(await freeUdpPort(), zone);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** dnsmasq's command line for `zone` (see `dnsmasq --help`: --naptr-record, --srv-host, --host-record). */
function dnsmasqArgs(port: number, zone: TestDnsZone): string[] {
  const args = [
    `--port=${port}`,
    "--no-daemon",
    "--no-resolv",
    "--no-hosts",
    "--conf-file=/dev/null",
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    "--local=/#/",
    "--cache-size=0",
    "--log-facility=-",
  ];
  for (const r of zone.naptr ?? []) {
    const fields = [r.name, r.order, r.preference, r.flags ?? "s", r.service, r.regexp ?? "", r.replacement];
    args.push(`--naptr-record=${fields.join(",")}`);
  }
  for (const r of zone.srv ?? []) {
    args.push(`--srv-host=${[r.name, r.target, r.port, r.priority, r.weight].join(",")}`);
  }
  for (const [name, addresses] of Object.entries(zone.hosts ?? {})) {
    for (const address of addresses) args.push(`--host-record=${name},${address}`);
  }
  return args;
}

async function launch(port: number, zone: TestDnsZone): Promise<TestDnsServer> {
  const child = spawn(dnsmasqBin, dnsmasqArgs(port, zone), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once("error", reject));
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    process.off("exit", killOnExit);
  };
  const resolver = new Resolver({ timeout: 1_000, tries: 2 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    await Promise.race([waitUntilAnswering(port, child, () => stderr), spawnError]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, resolver, stop };
}

async function waitUntilAnswering(
  port: number,
  child: { exitCode: number | null; signalCode: string | null },
  stderr: () => string,
): Promise<void> {
  const probe = new Resolver({ timeout: 100, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`dnsmasq exited (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    }
    if (await answers(probe)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}: ${stderr()}`);
}

/** Whether the server answered at all: NXDOMAIN for the probe name counts. */
async function answers(probe: Resolver): Promise<boolean> {
  try {
    await probe.resolve4("dns-server-ready.probe");
    return true;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return code === "ENOTFOUND" || code === "ENODATA";
  }
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
