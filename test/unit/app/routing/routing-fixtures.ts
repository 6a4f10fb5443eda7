import type { RoutingConfig } from "../../../../src/app/config-schema.ts";
import type { NewCallNotice, RoutingInput } from "../../../../src/app/routing/index.ts";
import { createLogger, type Logger } from "../../../../src/lib/index.ts";
import { SipHeaderList } from "../../../../src/sip/index.ts";

/** The sinks configured in these tests, in config order. */
export const configuredSinks = ["ai", "archive", "qa"];

/** rs-metadata (RFC 7865) with an extension element in a vendor namespace naming the queue. */
export const metadataWithQueue = `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="aGVsbG8gd29ybGQhISE=">
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
    <queue-info xmlns="urn:example:contact-centre"><queue>billing</queue></queue-info>
  </session>
  <participant participant_id="cHAxcHAxcHAxcHAx">
    <nameID aor="sip:+15551230001@carrier.example"><name>Pat Caller</name></nameID>
  </participant>
  <participant participant_id="cHAycHAycHAycHAy">
    <nameID aor="sip:2001@pbx.example"><name>Agent 2001</name></nameID>
  </participant>
</recording>`;

/** Fields of {@link inviteFrom} that tests override; `headers` lists the INVITE's header lines. */
export type InviteOverrides = Partial<Omit<RoutingInput, "header">> & { headers?: [string, string][] };

/** The routing view of a typical INVITE from the SBC at 192.0.2.10; `overrides` replace fields. */
export function inviteFrom({ headers: headerLines, ...fields }: InviteOverrides = {}): RoutingInput {
  const headers = new SipHeaderList(
    headerLines ?? [
      ["Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds"],
      ["From", "<sip:src@sbc.example>;tag=1928301774"],
      ["To", "<sip:srs@198.51.100.5>"],
      ["Call-ID", "a84b4c76e66710@sbc.example"],
      ["X-Tenant", "acme"],
      ["X-Tenant", "globex"],
    ],
  );
  return {
    sourceAddress: "192.0.2.10",
    requestUri: "sip:srs@198.51.100.5:5060",
    header: (name) => headers.get(name),
    participants: [
      { aor: "sip:+15551230001@carrier.example", name: "Pat Caller", role: "customer" },
      { aor: "sip:2001@pbx.example", name: "Agent 2001", role: "agent" },
    ],
    labels: ["1", "2"],
    correlation: { ucid: "00001002381700000001", sipCallId: "a84b4c76e66710@sbc.example" },
    metadataXml: metadataWithQueue,
    ...fields,
  };
}

/** A `routing` section as the config schema outputs it. */
export function routing(
  rules: RoutingConfig["rules"],
  defaultSinks: RoutingConfig["default_sinks"] = "all",
): RoutingConfig {
  return { rules, default_sinks: defaultSinks };
}

/** A rule with the given match and sinks. */
export function rule(
  match: RoutingConfig["rules"][number]["match"],
  sinks: string[],
  name?: string,
): RoutingConfig["rules"][number] {
  return name === undefined ? { match, sinks } : { name, match, sinks };
}

/** A new-call notice as the appliance would send it. */
export const notice: NewCallNotice = {
  sessionId: "0190a6c2-7b7e-7cc3-9a53-3c1f2b8e4d10",
  applianceId: "edge-test",
  sipCallId: "a84b4c76e66710@sbc.example",
  source: "192.0.2.10:5060",
  requestUri: "sip:srs@198.51.100.5:5060",
  startedAt: "2025-01-31T09:00:00.000Z",
  correlation: { ucid: "00001002381700000001" },
  participants: [
    {
      participantId: "cHAxcHAxcHAxcHAx",
      aor: "sip:+15551230001@carrier.example",
      name: "Pat Caller",
      role: "customer",
    },
    { participantId: "cHAycHAycHAycHAy", aor: "sip:2001@pbx.example", name: "Agent 2001", role: "agent" },
  ],
  streams: [
    { streamId: 41, label: "1", codec: "PCMU", role: "customer" },
    { streamId: 42, label: "2", codec: "PCMU", role: "agent" },
  ],
};

/** A logger that keeps every line as a parsed object. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}
