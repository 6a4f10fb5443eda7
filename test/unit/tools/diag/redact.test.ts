/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} references are the YAML under test, not template placeholders. */
import { describe, expect, it } from "vitest";
import {
  isSecretKey,
  redactConfigLines,
  redactConfigText,
  redactEnvironmentLines,
  secretsOf,
} from "../../../../src/tools/index.ts";

const planted = {
  token: "tok-4f9a1c7e2b6d8e0f",
  mqtt: "mqtt-pw-8d1e5a",
  bearer: "bearer-77aa19cc0e",
  urlPass: "urlpw-3b9c2d",
  nested: "deep-secret-5e6f7a",
  webhook: "hook-9a8b7c6d",
};

function expectNone(text: string, secrets: string[]): void {
  for (const s of secrets) expect(text).not.toContain(s);
}

describe("redactConfigText", () => {
  it("redacts secret keys in nested block maps and lists, keeping other values", () => {
    const yaml = `appliance_id: edge-07
web:
  listen: 127.0.0.1:8080
  auth:
    token: ${planted.token}
mqtt:
  url: mqtt://broker:1883
  username: edge-07
  password: ${planted.mqtt}
extra:
  level1:
    - name: x
      client_secret: ${planted.nested}
`;
    const r = redactConfigText(yaml);
    expect(r.mode).toBe("yaml");
    expectNone(r.text, Object.values(planted));
    expect(r.text).toContain("edge-07");
    expect(r.text).toContain("mqtt://broker:1883");
    expect(r.redacted).toEqual(expect.arrayContaining(["web.auth.token", "mqtt.password"]));
    expect(r.secrets).toEqual(expect.arrayContaining([planted.token, planted.mqtt, planted.nested]));
  });

  it("redacts flow-style maps, header values and URL userinfo, keeping the user name and the scheme word", () => {
    const yaml = [
      "sinks:",
      `  - { name: ai, type: websocket, url: "wss://bob:${planted.urlPass}@ai.example/stream", headers: { Authorization: "Bearer ${planted.bearer}", X-Tenant: acme-tenant } }`,
      "routing:",
      `  new_call_webhook: { url: "https://hooks.example/new?token=${planted.webhook}", headers: { X-Api-Key: abcdef123 } }`,
      "",
    ].join("\n");
    const r = redactConfigText(yaml);
    expectNone(r.text, [planted.urlPass, planted.bearer, planted.webhook, "abcdef123", "acme-tenant"]);
    expect(r.text).toContain("wss://bob:***@ai.example/stream");
    expect(r.text).toContain("Bearer ***");
    expect(r.secrets).toEqual(expect.arrayContaining([planted.urlPass, planted.bearer, planted.webhook]));
  });

  it("keeps ${NAME} references as written and collects their values (and drops their defaults) without printing them", () => {
    const yaml = [
      "web: { auth: { token: ${WEB_TOKEN} } }",
      "mqtt:",
      "  url: mqtts://edge:${MQTT_PW}@broker:8883",
      "  password: ${MQTT_PASSWORD:-fallback-pw-1234}",
      "sinks:",
      "  - name: ai",
      "    url: wss://${AI_HOST}/stream",
      '    headers: { Authorization: "Bearer ${AI_TOKEN}" }',
      "",
    ].join("\n");
    const env = {
      WEB_TOKEN: "env-web-token-0000",
      AI_TOKEN: "env-ai-token-1111",
      MQTT_PW: "env-url-pw-2222",
      AI_HOST: "ai.example",
    };
    const r = redactConfigText(yaml, env);
    expect(r.text).toContain("${WEB_TOKEN}");
    expect(r.text).toContain("Bearer ${AI_TOKEN}");
    expect(r.text).toContain(`mqtts://edge:\${MQTT_PW}@broker:8883`);
    expect(r.text).toContain(`\${MQTT_PASSWORD:-***}`);
    expect(r.text).toContain(`wss://\${AI_HOST}/stream`);
    expectNone(r.text, ["env-web-token-0000", "env-ai-token-1111", "env-url-pw-2222", "fallback-pw-1234"]);
    expect(r.secrets).toEqual(
      expect.arrayContaining([
        "env-web-token-0000",
        "env-ai-token-1111",
        "env-url-pw-2222",
        "fallback-pw-1234",
      ]),
    );
  });

  it("treats a TLS key path as a path, not as a secret", () => {
    const r = redactConfigText("sip:\n  tls: { cert: /etc/ssl/srs.pem, key: /etc/ssl/private/srs.key }\n");
    expect(r.text).toContain("/etc/ssl/private/srs.key");
    expect(r.redacted).toEqual([]);
  });

  it("falls back to line-by-line redaction when the YAML does not parse, and says so", () => {
    const broken = `web:
  auth: { token: ${planted.token}
mqtt:
  password: "${planted.mqtt}"   # rotated
  # password: old-commented-secret
sinks:
  - url: wss://u:${planted.urlPass}@h/s
    headers:
      Authorization: Bearer ${planted.bearer}
      X-Tenant: tenant-secretish
  key: [unclosed
`;
    const r = redactConfigText(broken);
    expect(r.mode).toBe("lines");
    expect(r.parseError).toBeTruthy();
    expectNone(r.text, [
      planted.token,
      planted.mqtt,
      planted.urlPass,
      planted.bearer,
      "old-commented-secret",
      "tenant-secretish",
    ]);
    expect(r.text).toContain("wss://u:***@h/s");
    expect(r.secrets).toEqual(
      expect.arrayContaining([planted.token, planted.mqtt, planted.urlPass, planted.bearer]),
    );
  });

  it(`keeps \${NAME} references in the line fallback too`, () => {
    const r = redactConfigLines(`mqtt:\n  password: \${MQTT_PASSWORD}\n  url: [\n`, {
      MQTT_PASSWORD: "lines-env-pw-9",
    });
    expect(r.text).toContain(`password: \${MQTT_PASSWORD}`);
    expect(r.secrets).toContain("lines-env-pw-9");
  });
});

describe("secret helpers", () => {
  it("names password, token, secret, key material, authorization and cookie keys as secret", () => {
    for (const key of [
      "password",
      "token",
      "client_secret",
      "api_key",
      "private_key",
      "Authorization",
      "Cookie",
      "srtp_key",
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of [
      "username",
      "url",
      "listen",
      "topic_prefix",
      "reject_unauthorized",
      "session_expiry",
    ]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it("finds the secrets of an expanded configuration object, including Basic-auth forms", () => {
    const secrets = secretsOf({ web: { auth: { username: "tech", password: "basic-pw-1234" } } });
    expect(secrets).toContain("basic-pw-1234");
    expect(secrets).toContain(Buffer.from("tech:basic-pw-1234").toString("base64"));
  });

  it("redacts secret variables on systemctl show Environment= lines only", () => {
    const r = redactEnvironmentLines(
      "Environment=WEB_TOKEN=abc-web-123 LANG=C.UTF-8\nDescription=x TOKEN=keep\n",
    );
    expect(r.text).toContain("Environment=WEB_TOKEN=*** LANG=C.UTF-8");
    expect(r.text).toContain("Description=x TOKEN=keep");
    expect(r.secrets).toEqual(["abc-web-123"]);
  });
});
