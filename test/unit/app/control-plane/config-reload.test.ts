import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../src/app/config.ts";
import { createReloader, planReload } from "../../../../src/app/control-plane/config-reload.ts";
import { CommandError } from "../../../../src/control/index.ts";

const file = "/etc/siprec-edge/config.yaml";
const base = `sip: { listen: ["udp:127.0.0.1:5060"], allow_from: ["10.0.0.0/8"] }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:9/ai", mode: interleaved }
`;
const parse = (text: string) => parseConfig(text, file, {});

describe("reloadConfig", () => {
  it("applies routing, sinks and the SRC allowlist live and lists the keys that need a restart", () => {
    const next = parse(
      `${base.replace("10.0.0.0/8", "192.0.2.0/24").replace("5060", "5070")}routing: { default_sinks: [] }\nspool: { retain: 1h }\n`,
    );
    expect(planReload(parse(base), next)).toEqual({
      applied: ["routing", "sip.allow_from"],
      restartRequired: ["sip.listen", "spool.retain"],
    });
  });

  it("reports nothing for an unchanged file", () => {
    expect(planReload(parse(base), parse(base))).toEqual({ applied: [], restartRequired: [] });
  });

  it("refuses an invalid file with CONFIG_INVALID naming the key, and changes nothing", () => {
    const applied: string[] = [];
    const reload = createReloader(file, parse(base), () => parse("sip: { listen: [nowhere] }"), {
      applyRoutingAndSinks: () => applied.push("routing"),
      applyAllowFrom: () => applied.push("allow_from"),
    });
    let error: unknown;
    try {
      reload();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).code).toBe("CONFIG_INVALID");
    expect((error as CommandError).message).toContain("sip.listen[0]");
    expect(applied).toEqual([]);
  });

  it("keeps reporting a restart-only change until the restart, and applies live keys once", () => {
    const applied: string[] = [];
    let text = `${base}routing: { default_sinks: [] }\nlog: { level: debug }\n`;
    const reload = createReloader(file, parse(base), () => parse(text), {
      applyRoutingAndSinks: (next) => applied.push(JSON.stringify(next.routing.default_sinks)),
      applyAllowFrom: () => applied.push("allow_from"),
    });
    expect(reload()).toEqual({ applied: ["routing"], restartRequired: ["log.level"] });
    expect(reload()).toEqual({ applied: [], restartRequired: ["log.level"] });
    text = base;
    expect(reload()).toEqual({ applied: ["routing"], restartRequired: [] });
    expect(applied).toEqual(["[]", '"all"']);
  });

  it("refuses a reload when the appliance was started without a configuration file", () => {
    const reload = createReloader(undefined, parse(base), parse, {
      applyRoutingAndSinks: () => {},
      applyAllowFrom: () => {},
    });
    expect(() => reload()).toThrow(/without a configuration file/);
  });
});
