import { afterEach, describe, expect, it } from "vitest";
import type { OptionsPinger, SipResponse } from "../../../../src/sip/index.ts";
import { openRawUas, type RawUas, startUac, type UacEnv } from "../raw-uas.ts";

let src: UacEnv;
let srs: UacEnv | undefined;
let silent: RawUas | undefined;

afterEach(async () => {
  await silent?.close();
  await srs?.stack.close();
  await src.stack.close();
  silent = undefined;
  srs = undefined;
});

function nextChange(pinger: OptionsPinger): Promise<[string, SipResponse]> {
  return new Promise((resolve) => pinger.once("change", (state, response) => resolve([state, response])));
}

describe("OPTIONS pinging (RFC 3261 §11)", () => {
  it("reports up on 200, down once the SRS answers 503 (though it answers), and up again", async () => {
    src = await startUac(["udp"]);
    srs = await startUac(["udp"]);
    let status = 200;
    srs.stack.onRequest("OPTIONS", (req) => {
      req.reply(status);
    });
    const pinger = src.stack.ping(
      { transport: "udp", address: "127.0.0.1", port: srs.port },
      { intervalMs: 5000 },
    );
    expect(pinger.state).toBe("unknown");
    const [up] = await nextChange(pinger);
    expect(up).toBe("up");
    status = 503;
    const down = nextChange(pinger);
    src.clock.advance(5000);
    const [state, response] = await down;
    expect([state, response.status]).toEqual(["down", 503]);
    status = 404;
    const back = nextChange(pinger);
    src.clock.advance(5000);
    expect((await back)[0]).toBe("up");
    pinger.stop();
  });

  it("reports down when no answer comes within 64·T1 (a local 408)", async () => {
    src = await startUac(["udp"]);
    silent = await openRawUas();
    const pinger = src.stack.ping(
      { transport: "udp", address: "127.0.0.1", port: silent.port },
      { intervalMs: 5000, uri: "sip:srs@127.0.0.1" },
    );
    const options = await silent.nextRequest("OPTIONS");
    expect(options.uri).toBe("sip:srs@127.0.0.1");
    const down = nextChange(pinger);
    src.clock.advance(64 * 500);
    const [state, response] = await down;
    expect([state, response.status]).toEqual(["down", 408]);
    pinger.stop();
  });

  it("uses the caller's rule for what counts as up", async () => {
    src = await startUac(["udp"]);
    srs = await startUac(["udp"]);
    srs.stack.onRequest("OPTIONS", (req) => {
      req.reply(404);
    });
    const pinger = src.stack.ping(
      { transport: "udp", address: "127.0.0.1", port: srs.port },
      { intervalMs: 1000, isUp: (response) => response.status < 300 },
    );
    expect((await nextChange(pinger))[0]).toBe("down");
    pinger.stop();
  });
});
