import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DnsLookup,
  type ResolveOptions,
  resolveSipUri,
  SipResolveError,
  type SipTarget,
} from "../../../../src/sip/resolve/index.ts";
import { startDnsServer, type TestDnsServer } from "../../../helpers/dns-server.ts";

/** The zone every test resolves against, served by a real dnsmasq on 127.0.0.1. */
const zone = {
  naptr: [
    {
      name: "naptr.test",
      order: 30,
      preference: 10,
      service: "SIP+D2U",
      replacement: "_sip._udp.naptr.test",
    },
    {
      name: "naptr.test",
      order: 10,
      preference: 10,
      service: "SIPS+D2T",
      replacement: "_sips._tcp.naptr.test",
    },
    {
      name: "naptr.test",
      order: 20,
      preference: 10,
      service: "SIP+D2T",
      replacement: "_sip._tcp.naptr.test",
    },
    {
      name: "weighted.test",
      order: 10,
      preference: 10,
      service: "SIP+D2U",
      replacement: "_sip._udp.weighted.test",
    },
    { name: "foreign.test", order: 10, preference: 10, service: "http+N2L", replacement: "www.foreign.test" },
  ],
  srv: [
    { name: "_sips._tcp.naptr.test", target: "srs-b.naptr.test", port: 5071, priority: 20, weight: 0 },
    { name: "_sips._tcp.naptr.test", target: "srs-a.naptr.test", port: 5061, priority: 10, weight: 0 },
    { name: "_sip._tcp.naptr.test", target: "srs-a.naptr.test", port: 5060, priority: 10, weight: 0 },
    { name: "_sip._udp.naptr.test", target: "srs-a.naptr.test", port: 5060, priority: 10, weight: 0 },
    { name: "_sip._udp.weighted.test", target: "heavy.weighted.test", port: 5060, priority: 10, weight: 60 },
    { name: "_sip._udp.weighted.test", target: "light.weighted.test", port: 5060, priority: 10, weight: 20 },
    {
      name: "_sip._udp.weighted.test",
      target: "backup.weighted.test",
      port: 5060,
      priority: 20,
      weight: 100,
    },
    { name: "_sip._tcp.srvonly.test", target: "tcp.srvonly.test", port: 5080, priority: 0, weight: 0 },
    { name: "_sip._udp.srvonly.test", target: "udp.srvonly.test", port: 5090, priority: 0, weight: 0 },
    { name: "_sip._udp.foreign.test", target: "srs.foreign.test", port: 5070, priority: 0, weight: 0 },
    { name: "_sip._udp.closed.test", target: "", port: 0, priority: 0, weight: 0 },
  ],
  hosts: {
    "naptr.test": ["127.0.0.40"],
    "srs-a.naptr.test": ["127.0.0.11"],
    "srs-b.naptr.test": ["127.0.0.12"],
    "heavy.weighted.test": ["127.0.0.13"],
    "light.weighted.test": ["127.0.0.14"],
    "backup.weighted.test": ["127.0.0.15"],
    "tcp.srvonly.test": ["127.0.0.16"],
    "udp.srvonly.test": ["127.0.0.17"],
    "srs.foreign.test": ["127.0.0.18"],
    "plain.test": ["127.0.0.20"],
    "dual.test": ["127.0.0.30", "2001:db8::30"],
    "v6only.test": ["2001:db8::31"],
    "closed.test": ["127.0.0.32"],
  },
};

let dns: TestDnsServer;
/** Names of the DNS queries made through {@link resolver} (wraps the real resolver). */
let asked: string[] = [];
let resolver: DnsLookup;

beforeAll(async () => {
  dns = await startDnsServer(zone);
  const real = dns.resolver;
  const note = <T>(query: string, run: () => Promise<T>): Promise<T> => {
    asked.push(query);
    return run();
  };
  resolver = {
    resolveNaptr: (name) => note(`NAPTR ${name}`, () => real.resolveNaptr(name)),
    resolveSrv: (name) => note(`SRV ${name}`, () => real.resolveSrv(name)),
    resolve4: (name) => note(`A ${name}`, () => real.resolve4(name)),
    resolve6: (name) => note(`AAAA ${name}`, () => real.resolve6(name)),
  };
});

afterAll(async () => {
  await dns?.stop();
});

function resolve(uri: string, options: Omit<ResolveOptions, "resolver"> = {}): Promise<SipTarget[]> {
  asked = [];
  return resolveSipUri(uri, { resolver, ...options });
}

/** `transport address port` of each target, for compact order assertions. */
function hops(targets: SipTarget[]): string[] {
  return targets.map((t) => `${t.transport} ${t.address} ${t.port}`);
}

describe("resolveSipUri (RFC 3263 §4)", () => {
  it("uses a numeric host as is, on UDP 5060 for sip: and TLS 5061 for sips:, without asking DNS", async () => {
    expect(hops(await resolve("sip:srs@127.0.0.1"))).toEqual(["udp 127.0.0.1 5060"]);
    expect(hops(await resolve("sips:127.0.0.1:5071"))).toEqual(["tls 127.0.0.1 5071"]);
    expect(hops(await resolve("sip:[::1];transport=tcp"))).toEqual(["tcp ::1 5060"]);
    expect(asked).toEqual([]);
  });

  it("sends to the maddr parameter rather than the host", async () => {
    expect(hops(await resolve("sip:srs@naptr.test;maddr=127.0.0.9"))).toEqual(["udp 127.0.0.9 5060"]);
  });

  it("looks up only A/AAAA when the URI has an explicit port, keeping that port", async () => {
    expect(hops(await resolve("sip:srs@naptr.test:5099"))).toEqual(["udp 127.0.0.40 5099"]);
    expect(asked.sort()).toEqual(["A naptr.test", "AAAA naptr.test"]);
    expect(hops(await resolve("sips:srs@naptr.test:5099"))).toEqual(["tls 127.0.0.40 5099"]);
  });

  it("queries SRV only for the transport a transport= parameter names", async () => {
    expect(hops(await resolve("sip:srvonly.test;transport=tcp"))).toEqual(["tcp 127.0.0.16 5080"]);
    expect(asked).not.toContain("NAPTR srvonly.test");
    expect(asked).not.toContain("SRV _sip._udp.srvonly.test");
  });

  it("falls back to A/AAAA on the default port when the named transport has no SRV record", async () => {
    expect(hops(await resolve("sip:plain.test;transport=tcp"))).toEqual(["tcp 127.0.0.20 5060"]);
    expect(hops(await resolve("sips:plain.test;transport=tcp"))).toEqual(["tls 127.0.0.20 5061"]);
    expect(hops(await resolve("sip:plain.test;transport=tls"))).toEqual(["tls 127.0.0.20 5061"]);
  });

  it("follows NAPTR by order, then SRV by priority, then A, across every transport", async () => {
    const targets = await resolve("sip:srs@naptr.test");
    expect(hops(targets)).toEqual([
      "tls 127.0.0.11 5061",
      "tls 127.0.0.12 5071",
      "tcp 127.0.0.11 5060",
      "udp 127.0.0.11 5060",
    ]);
    expect(targets[0]).toMatchObject({ host: "srs-a.naptr.test", domain: "naptr.test" });
  });

  it("drops NAPTR services the client does not support, and keeps the NAPTR order, not the client's", async () => {
    const targets = await resolve("sip:naptr.test", { transports: ["udp", "tcp"] });
    expect(hops(targets)).toEqual(["tcp 127.0.0.11 5060", "udp 127.0.0.11 5060"]);
    expect(asked).not.toContain("SRV _sips._tcp.naptr.test");
  });

  it("keeps only SIPS+D2T records for a sips: URI", async () => {
    expect(hops(await resolve("sips:srs@naptr.test"))).toEqual([
      "tls 127.0.0.11 5061",
      "tls 127.0.0.12 5071",
    ]);
  });

  it("puts the heavier of two equal-priority SRV targets first about as often as its weight says", async () => {
    const random = mulberry32(7);
    const draws = 400;
    const firsts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const targets = await resolve("sip:weighted.test", { random });
      expect(targets.map((t) => t.host).at(-1)).toBe("backup.weighted.test");
      const first = targets[0]?.host ?? "";
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    const heavyShare = (firsts.get("heavy.weighted.test") ?? 0) / draws;
    expect(heavyShare).toBeGreaterThan(0.65);
    expect(heavyShare).toBeLessThan(0.85);
    expect((firsts.get("light.weighted.test") ?? 0) + (firsts.get("heavy.weighted.test") ?? 0)).toBe(draws);
  });

  it("queries SRV per supported transport, in the client's order, when there is no NAPTR record", async () => {
    expect(hops(await resolve("sip:srvonly.test"))).toEqual(["tcp 127.0.0.16 5080", "udp 127.0.0.17 5090"]);
    expect(asked).toContain("SRV _sips._tcp.srvonly.test");
    expect(hops(await resolve("sip:srvonly.test", { transports: ["udp", "tcp"] }))).toEqual([
      "udp 127.0.0.17 5090",
      "tcp 127.0.0.16 5080",
    ]);
  });

  it("treats NAPTR records without a SIP service as no NAPTR and goes on with SRV", async () => {
    expect(hops(await resolve("sip:foreign.test"))).toEqual(["udp 127.0.0.18 5070"]);
  });

  it("uses A records on UDP 5060 when there is neither NAPTR nor SRV", async () => {
    const targets = await resolve("sip:srs@plain.test");
    expect(targets).toEqual([
      { transport: "udp", address: "127.0.0.20", port: 5060, host: "plain.test", domain: "plain.test" },
    ]);
  });

  it("uses TLS on 5061 for a sips: URI without NAPTR or SRV", async () => {
    expect(hops(await resolve("sips:srs@plain.test"))).toEqual(["tls 127.0.0.20 5061"]);
    expect(asked).not.toContain("SRV _sip._udp.plain.test");
  });

  it("returns AAAA addresses too, after the A ones unless asked otherwise", async () => {
    expect(hops(await resolve("sip:dual.test"))).toEqual(["udp 127.0.0.30 5060", "udp 2001:db8::30 5060"]);
    expect(hops(await resolve("sip:dual.test", { ipFamilies: [6, 4] }))).toEqual([
      "udp 2001:db8::30 5060",
      "udp 127.0.0.30 5060",
    ]);
    expect(hops(await resolve("sip:v6only.test"))).toEqual(["udp 2001:db8::31 5060"]);
  });

  it("fails with SIP_RESOLVE_FAILED naming the host when the name does not exist", async () => {
    const failure = resolve("sip:srs@missing.test");
    await expect(failure).rejects.toBeInstanceOf(SipResolveError);
    await expect(failure).rejects.toMatchObject({ code: "SIP_RESOLVE_FAILED", host: "missing.test" });
    await expect(failure).rejects.toThrow(/missing\.test/);
  });

  it("fails when the only SRV record says the service is not available here (target '.')", async () => {
    await expect(resolve("sip:closed.test;transport=udp")).rejects.toMatchObject({
      code: "SIP_RESOLVE_FAILED",
    });
  });

  it.each([
    ["mailto:srs@example.test", "SIP_RESOLVE_BAD_URI"],
    ["sip:", "SIP_RESOLVE_BAD_URI"],
    ["sips:srs@plain.test;transport=udp", "SIP_RESOLVE_BAD_URI"],
    ["sip:srs@plain.test;transport=sctp", "SIP_RESOLVE_UNSUPPORTED_TRANSPORT"],
  ])("rejects %s with %s", async (uri, code) => {
    await expect(resolve(uri)).rejects.toMatchObject({ name: "SipResolveError", code });
  });

  it("refuses a transport the client does not support", async () => {
    await expect(resolve("sips:plain.test", { transports: ["udp", "tcp"] })).rejects.toMatchObject({
      code: "SIP_RESOLVE_UNSUPPORTED_TRANSPORT",
    });
    await expect(resolve("sip:plain.test;transport=tls", { transports: ["udp"] })).rejects.toMatchObject({
      code: "SIP_RESOLVE_UNSUPPORTED_TRANSPORT",
    });
  });
});

/** A small seeded PRNG (uniform in [0, 1)), so the weight draw is repeatable. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
