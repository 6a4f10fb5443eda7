import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../src/app/config.ts";
import { compileRouting, RoutingConfigError } from "../../../../src/app/routing/index.ts";
import { configuredSinks, inviteFrom, routing, rule } from "./routing-fixtures.ts";

/** Sinks chosen for `input` when the only rule is `match → [qa]` and the default is `[archive]`. */
function sinksFor(match: Parameters<typeof rule>[0], input = inviteFrom()): string[] {
  const router = compileRouting(routing([rule(match, ["qa"])], ["archive"]), configuredSinks);
  return router.decide(input).sinks.map((choice) => choice.sink);
}

describe("routing rules: each match key", () => {
  it.each([
    ["an SBC address inside a listed IPv4 CIDR block", { source: ["10.0.0.0/8", "192.0.2.0/24"] }],
    ["an SBC address listed exactly", { source: ["192.0.2.10"] }],
    ["a Request-URI that matches", { request_uri: "^sip:srs@198\\.51\\.100\\.5" }],
    ["a header that is present and matches", { headers: { "X-Tenant": "^acme$" } }],
    [
      "every named header present and matching",
      { headers: { "X-Tenant": "acme", "Call-ID": "@sbc\\.example$" } },
    ],
    ["a participant AOR that matches (any participant)", { participant_aor: "^sip:2001@" }],
    ["a stream label that matches (any stream)", { label: "^2$" }],
    ["a correlation id that is present and matches", { correlation: { ucid: "^0000100238" } }],
    ["an extension element in the rs-metadata", { metadata_xml: "<queue>billing</queue>" }],
    ["an empty match", {}],
  ])("%s sends the call to the rule's sinks", (_what, match) => {
    expect(sinksFor(match)).toEqual(["qa"]);
  });

  it.each([
    ["an SBC address outside every listed block", { source: ["10.0.0.0/8", "192.0.3.0/24"] }],
    ["an empty source list", { source: [] }],
    ["an IPv4 SBC address against an IPv6 block", { source: ["2001:db8::/32"] }],
    ["a Request-URI that does not match", { request_uri: "^sip:recorder@" }],
    ["a header whose first value does not match", { headers: { "X-Tenant": "^globex$" } }],
    ["a header that is absent", { headers: { "X-Campaign": ".*" } }],
    ["one of two named headers absent", { headers: { "X-Tenant": "acme", "X-Campaign": ".*" } }],
    ["no participant AOR that matches", { participant_aor: "^sip:3001@" }],
    ["no stream label that matches", { label: "^(main|aux)$" }],
    ["a correlation id whose value does not match", { correlation: { ucid: "^9999" } }],
    ["a correlation key the call does not have", { correlation: { ciscoGuid: ".*" } }],
    ["a correlation key that only exists on Object.prototype", { correlation: { constructor: ".*" } }],
    ["rs-metadata without the extension element", { metadata_xml: "<queue>sales</queue>" }],
    ["one matching and one failing key", { source: ["192.0.2.0/24"], request_uri: "^sip:recorder@" }],
  ])("%s leaves the call to the default sinks", (_what, match) => {
    expect(sinksFor(match)).toEqual(["archive"]);
  });

  it("matches header names case-insensitively, compact forms included", () => {
    const input = inviteFrom({
      headers: [
        ["x-tenant", "acme"],
        ["i", "a84b4c76e66710@sbc.example"],
      ],
    });
    expect(sinksFor({ headers: { "X-TENANT": "^acme$" } }, input)).toEqual(["qa"]);
    expect(sinksFor({ headers: { "Call-ID": "^a84b4c76e66710@" } }, input)).toEqual(["qa"]);
  });

  it("matches IPv6 SBC addresses against IPv6 blocks", () => {
    const match = { source: ["2001:db8:10::/48"] };
    expect(sinksFor(match, inviteFrom({ sourceAddress: "2001:db8:10::7" }))).toEqual(["qa"]);
    expect(sinksFor(match, inviteFrom({ sourceAddress: "2001:db8:11::7" }))).toEqual(["archive"]);
    expect(
      sinksFor({ source: ["2001:db8:10::7"] }, inviteFrom({ sourceAddress: "2001:DB8:10:0::7" })),
    ).toEqual(["qa"]);
  });

  it("matches an IPv4-mapped IPv6 SBC address against IPv4 blocks", () => {
    expect(
      sinksFor({ source: ["192.0.2.0/24"] }, inviteFrom({ sourceAddress: "::ffff:192.0.2.10" })),
    ).toEqual(["qa"]);
  });

  it("does not match a source address that is not an IP address", () => {
    expect(sinksFor({ source: ["0.0.0.0/0"] }, inviteFrom({ sourceAddress: "sbc.example" }))).toEqual([
      "archive",
    ]);
  });
});

describe("routing rules: order and defaults", () => {
  it("lets the first matching rule decide and names it", () => {
    const router = compileRouting(
      routing([
        rule({ source: ["198.51.100.0/24"] }, ["qa"], "other-sbc"),
        rule({ source: ["192.0.2.0/24"] }, ["ai"], "sbc-a"),
        rule({}, ["archive"], "catch-all"),
      ]),
      configuredSinks,
    );
    expect(router.decide(inviteFrom())).toEqual({ sinks: [{ sink: "ai" }], by: "rule", rule: "sbc-a" });
  });

  it("names an unnamed rule by its zero-based index", () => {
    const router = compileRouting(
      routing([rule({ label: "^main$" }, ["qa"]), rule({ label: "^2$" }, ["ai", "qa"])]),
      configuredSinks,
    );
    expect(router.decide(inviteFrom())).toEqual({
      sinks: [{ sink: "ai" }, { sink: "qa" }],
      by: "rule",
      rule: "#1",
    });
  });

  it("records only when the matching rule lists no sinks", () => {
    const router = compileRouting(
      routing([rule({ correlation: { ucid: "." } }, [], "pci")]),
      configuredSinks,
    );
    expect(router.decide(inviteFrom())).toEqual({ sinks: [], by: "rule", rule: "pci" });
  });

  it('sends an unmatched call to every configured sink, in config order, when the default is "all"', () => {
    const router = compileRouting(routing([rule({ label: "^main$" }, ["qa"])]), configuredSinks);
    expect(router.decide(inviteFrom())).toEqual({
      sinks: [{ sink: "ai" }, { sink: "archive" }, { sink: "qa" }],
      by: "default",
    });
  });

  it("sends an unmatched call to the listed default sinks", () => {
    const router = compileRouting(routing([], ["qa", "ai"]), configuredSinks);
    expect(router.decide(inviteFrom())).toEqual({ sinks: [{ sink: "qa" }, { sink: "ai" }], by: "default" });
  });

  it("records an unmatched call only when the default list is empty", () => {
    const router = compileRouting(routing([], []), configuredSinks);
    expect(router.decide(inviteFrom())).toEqual({ sinks: [], by: "default" });
  });

  it("records only when the default is all and no sink is configured", () => {
    expect(compileRouting(routing([]), []).decide(inviteFrom())).toEqual({ sinks: [], by: "default" });
  });

  it("gives each call its own sink list, so one caller's changes do not leak into the next call", () => {
    const router = compileRouting(routing([rule({}, ["qa"])]), configuredSinks);
    const first = router.decide(inviteFrom());
    first.sinks.push({ sink: "ai" });
    expect(router.decide(inviteFrom()).sinks).toEqual([{ sink: "qa" }]);
  });
});

describe("routing rules: compiling", () => {
  it.each([
    ["10.0.0.0/33", "routing.rules[0].match.source[1]"],
    ["2001:db8::/129", "routing.rules[0].match.source[1]"],
    ["300.1.2.3", "routing.rules[0].match.source[1]"],
    ["10.0.0.0/", "routing.rules[0].match.source[1]"],
  ])("refuses the source entry %s, naming its key", (entry, key) => {
    const compile = () =>
      compileRouting(routing([rule({ source: ["10.0.0.0/8", entry] }, [])]), configuredSinks);
    expect(compile).toThrow(RoutingConfigError);
    expect(compile).toThrow(key);
  });

  it("refuses a rule that names a sink that is not configured", () => {
    const compile = () => compileRouting(routing([rule({}, ["ai", "transcripts"])]), configuredSinks);
    expect(compile).toThrow(
      expect.objectContaining({ code: "ROUTING_CONFIG_INVALID", key: "routing.rules[0].sinks[1]" }),
    );
  });

  it("refuses default sinks that are not configured", () => {
    const compile = () => compileRouting(routing([], ["transcripts"]), configuredSinks);
    expect(compile).toThrow(expect.objectContaining({ key: "routing.default_sinks[0]" }));
  });

  it("refuses an invalid regular expression, naming its key", () => {
    const compile = () =>
      compileRouting(routing([rule({ headers: { "X-Tenant": "(" } }, [])]), configuredSinks);
    expect(compile).toThrow(expect.objectContaining({ key: "routing.rules[0].match.headers.X-Tenant" }));
  });
});

describe("routing rules from a configuration file", () => {
  const yaml = `
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:18080/ai", mode: interleaved }
  - { name: archive, type: websocket, url: "ws://127.0.0.1:18080/archive", mode: per-participant }
routing:
  rules:
    - name: sbc-two
      match: { source: ["127.0.0.2/32"] }
      sinks: [ai]
    - name: sbc-three
      match: { source: ["127.0.0.3"] }
      sinks: [archive]
`;

  it("sends calls from each SBC address to its own sink and others to all sinks", () => {
    const config = parseConfig(yaml, "/tmp/routing-test.yaml", {});
    const router = compileRouting(
      config.routing,
      config.sinks.map((sink) => sink.name),
    );
    const sinksFrom = (sourceAddress: string) =>
      router.decide(inviteFrom({ sourceAddress })).sinks.map((choice) => choice.sink);
    expect(sinksFrom("127.0.0.2")).toEqual(["ai"]);
    expect(sinksFrom("127.0.0.3")).toEqual(["archive"]);
    expect(sinksFrom("127.0.0.4")).toEqual(["ai", "archive"]);
  });
});
