import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A mosquitto broker on 127.0.0.1 whose ACL a test rewrites (reloaded with SIGHUP). */
export interface AclBroker {
  /** `mqtt://127.0.0.1:<port>`. */
  readonly url: string;
  /** Replaces the ACL for anonymous clients (mosquitto `acl_file` lines) and makes the broker reload it. */
  setAcl(lines: string[]): Promise<void>;
  /** Stops the broker and removes its folder. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts mosquitto with an ACL file holding `acl` (anonymous access, no persistence). */
export async function startAclBroker(acl: string[]): Promise<AclBroker> {
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-acl-"));
  // Started as root, mosquitto drops to its own user before it reads the ACL file.
  chmodSync(dir, 0o755);
  const aclFile = join(dir, "acl");
  const port = await freePort();
  writeFileSync(aclFile, `${acl.join("\n")}\n`);
  const conf = join(dir, "mosquitto.conf");
  const lines = [
    `listener ${port} 127.0.0.1`,
    "allow_anonymous true",
    "persistence false",
    `acl_file ${aclFile}`,
  ];
  writeFileSync(conf, `${lines.join("\n")}\n`);
  const child = spawn("/usr/sbin/mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 5000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto with an ACL did not start on port ${port}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async setAcl(next) {
      writeFileSync(aclFile, `${next.join("\n")}\n`);
      child.kill("SIGHUP");
      await new Promise((resolve) => setTimeout(resolve, 200));
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
