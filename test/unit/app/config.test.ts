import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../../src/app/config.ts";

const acceptanceConfig = `
appliance_id: edge-test
sip: { listen: ["udp:127.0.0.1:15060", "tcp:127.0.0.1:15060"] }
media: { address: 127.0.0.1, port_range: [40000, 40999] }
spool: { path: ./var/spool.db }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:18080/stream", protocol: easp, mode: per-participant, format: PCMU/8000 }
mqtt: { url: "mqtt://127.0.0.1:1883" }
web: { listen: "127.0.0.1:18081" }
`;

const designExample = `
appliance_id: edge-01
sip:
  listen: ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]
  allow_from: ["10.0.0.0/8"]
media:
  address: 0.0.0.0
  port_range: [20000, 29999]
spool:
  path: /var/lib/siprec-edge/spool.db
  commit_interval_ms: 100
  synchronous: normal
  max_bytes: 20GB
  min_free_disk: 2GB
  retain: 24h
sinks:
  - name: ai
    type: websocket
    url: wss://analytics.example/stream
    protocol: easp
    mode: interleaved
    format: L16/8000
    headers: { Authorization: "Bearer \${AI_TOKEN}" }
mqtt:
  url: mqtts://broker.example:8883
  username: edge-01
  password: \${MQTT_PASSWORD}
  topic_prefix: siprec-edge
web:
  listen: 127.0.0.1:8080
  auth: { token: \${WEB_TOKEN} }
log:
  level: info
`;

function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, "/etc/siprec-edge/config.yaml", env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.key}: ${i.message}`);
    throw err;
  }
  return [];
}

describe("configuration", () => {
  it("accepts the acceptance-test configuration and resolves the spool path against the file's folder", () => {
    const config = parseConfig(acceptanceConfig, "/tmp/x/config.yaml", {});
    expect(config.appliance_id).toBe("edge-test");
    expect(config.spool.path).toBe("/tmp/x/var/spool.db");
    expect(config.sinks[0]).toMatchObject({ name: "ai", mode: "per-participant", format: "PCMU/8000" });
    expect(config.mqtt?.url).toBe("mqtt://127.0.0.1:1883");
    expect(config.spool.commit_interval_ms).toBe(100);
  });

  it("accepts DESIGN.md's documented example, expanding environment references inside flow mappings", () => {
    const config = parseConfig(designExample, "/etc/siprec-edge/config.yaml", {
      AI_TOKEN: "t0k",
      MQTT_PASSWORD: "secret",
      WEB_TOKEN: "0123456789abcdef0123",
    });
    expect(config.sinks[0]).toMatchObject({ type: "websocket", headers: { Authorization: "Bearer t0k" } });
    expect(config.mqtt?.password).toBe("secret");
    expect(config.web.auth?.token).toBe("0123456789abcdef0123");
    expect(config.spool.max_bytes).toBe(20e9);
    expect(config.spool.retain).toBe(86_400_000);
  });

  it("accepts the shipped example configuration, which documents every key", () => {
    const config = loadConfig(join(import.meta.dirname, "../../../packaging/config.example.yaml"), {});
    expect(config.spool.path).toBe("/var/lib/siprec-edge/spool.db");
    expect(config.sinks).toEqual([]);
  });

  it("fills every default from an empty file", () => {
    const config = parseConfig("", "/etc/siprec-edge/config.yaml", {});
    expect(config.sip.listen).toEqual(["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]);
    expect(config.mqtt).toBeUndefined();
    expect(config.web.listen).toBe("127.0.0.1:8080");
  });

  it("names a misspelt key and suggests the right one", () => {
    expect(issuesOf("sip: { lisen: ['udp:0.0.0.0:5060'] }")).toEqual([
      'sip.lisen: is not a known key; did you mean "listen"?',
    ]);
  });

  it("names a bad value and says how to write it", () => {
    expect(issuesOf("spool: { max_bytes: 20 parsecs }")).toEqual([
      'spool.max_bytes: "20 parsecs" is not a size; write e.g. "20GB" or "512MiB"',
    ]);
    expect(issuesOf("sip: { listen: ['0.0.0.0:5060'] }")[0]).toMatch(
      /^sip\.listen\[0\]: is not a listen address; write "udp:HOST:PORT"/,
    );
  });

  it("names a missing environment variable with the key that uses it", () => {
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: ${NAME} is the configuration's own syntax
    expect(issuesOf("mqtt: { url: 'mqtt://b:1883', password: ${MQTT_PASSWORD} }")).toEqual([
      "mqtt.password: uses ${MQTT_PASSWORD}, but the environment variable MQTT_PASSWORD is not set; set it or write ${MQTT_PASSWORD:-default}",
    ]);
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: ${NAME} is the configuration's own syntax
  });

  it("names the keys of the sink type the file chose", () => {
    expect(issuesOf(`sinks: [{ name: a, type: siprec, url: "ws://h/x", format: L16/8000 }]`)).toEqual([
      "sinks[0].uri: is required",
      'sinks[0].url: is not a known key; did you mean "uri"?',
      "sinks[0].format: is not a known key; known keys here: name, type, uri, codec, srtp, x_headers, caller, called_party, options_ping, session_expires, replay",
    ]);
  });

  it("refuses two sinks with the same name", () => {
    expect(
      issuesOf(`sinks:
  - { name: a, type: websocket, url: "ws://h/x", mode: interleaved }
  - { name: a, type: websocket, url: "ws://h/y", mode: per-participant }`),
    ).toEqual(['sinks[1].name: "a" is used twice; give each sink its own name']);
  });

  it("reports YAML syntax errors as such", () => {
    expect(issuesOf("sip: [unclosed")[0]).toMatch(/^\(yaml\): is not valid YAML/);
  });

  it("names a routing rule's unknown sink and lists the configured ones", () => {
    const sinks = `sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:9/s", mode: interleaved }
  - { name: qa, type: websocket, url: "ws://127.0.0.1:9/s", mode: interleaved }
`;
    expect(issuesOf(`${sinks}routing: { rules: [{ match: {}, sinks: [ai, crm] }] }`)).toEqual([
      "routing.rules[0].sinks[1]: names no sink; use one of: ai, qa",
    ]);
    expect(issuesOf(`${sinks}routing: { default_sinks: [bi] }`)).toEqual([
      "routing.default_sinks[0]: names no sink; use one of: ai, qa",
    ]);
  });

  it("refuses a routing rule whose regular expression does not compile, naming the match key", () => {
    const [issue] = issuesOf('routing: { rules: [{ match: { request_uri: "sip:(" }, sinks: [] }] }');
    expect(issue).toMatch(/^routing\.rules\[0\]\.match\.request_uri: is not a valid regular expression/);
  });

  it("fills the routing defaults: no rules, every sink, no webhook", () => {
    const config = parseConfig("", "/etc/siprec-edge/config.yaml", {});
    expect(config.routing).toEqual({ rules: [], default_sinks: "all" });
  });

  it("resolves MQTT TLS files against the config file's folder and wants cert and key together", () => {
    const config = parseConfig(
      'mqtt: { url: "mqtts://broker:8883", tls: { ca: ca.pem, cert: /etc/pki/edge.pem, key: edge.key } }',
      "/etc/siprec-edge/config.yaml",
      {},
    );
    expect(config.mqtt?.tls).toEqual({
      ca: "/etc/siprec-edge/ca.pem",
      cert: "/etc/pki/edge.pem",
      key: "/etc/siprec-edge/edge.key",
      reject_unauthorized: true,
    });
    expect(issuesOf('mqtt: { url: "mqtts://broker:8883", tls: { cert: edge.pem } }')[0]).toMatch(
      /^mqtt\.tls: cert and key go together/,
    );
  });

  it("takes a SIPREC forwarding sink with its defaults", () => {
    const config = parseConfig(
      'sinks: [{ name: compliance, type: siprec, uri: "sips:srs.example.com", srtp: AES_CM_128_HMAC_SHA1_80 }]',
      "/etc/siprec-edge/config.yaml",
      {},
    );
    expect(config.sinks[0]).toEqual({
      name: "compliance",
      type: "siprec",
      uri: "sips:srs.example.com",
      codec: "PCMU/8000",
      srtp: "AES_CM_128_HMAC_SHA1_80",
      x_headers: {},
      options_ping: 30_000,
      session_expires: 1_800_000,
      replay: { max_rate: 1, max_concurrent: 2 },
    });
  });

  it("refuses SRTP towards a remote SRS over plain signalling, and a sink of unknown type", () => {
    expect(
      issuesOf('sinks: [{ name: c, type: siprec, uri: "sip:10.0.0.5", srtp: AES_CM_128_HMAC_SHA1_32 }]'),
    ).toEqual(["sinks[0].srtp: SRTP keys travel in the SDP: use a sips: URI or ;transport=tls"]);
    expect(issuesOf('sinks: [{ name: c, type: kafka, uri: "x" }]')[0]).toMatch(
      /^sinks\[0\]\.type: needs type "websocket" \(EASP audio stream\) or "siprec"/,
    );
  });

  it("wants a certificate for a tls: SIP listener", () => {
    expect(issuesOf('sip: { listen: ["tls:0.0.0.0:5061"] }')).toEqual([
      "sip.tls: a tls: listener needs sip.tls.cert and sip.tls.key (PEM files)",
    ]);
  });
});
