import { fileURLToPath } from "node:url";
import agentPath from "../../../test/fixtures/audio/agent.wav" with { type: "file" };
import customerPath from "../../../test/fixtures/audio/customer.wav" with { type: "file" };
import { readWav16Mono } from "./wav.ts";

const fixtureDir = "../../../test/fixtures/audio/";

/**
 * Where an imported WAV really is. Bun gives a filesystem path (`/$bunfs/…` inside a compiled
 * binary); vitest's Vite transform gives a root-relative URL such as `/test/fixtures/audio/agent.wav`
 * instead, so when that path does not exist the file is looked up next to this module.
 */
async function assetPath(imported: string, name: string): Promise<string> {
  if (await Bun.file(imported).exists()) return imported;
  return fileURLToPath(new URL(fixtureDir + name, import.meta.url));
}

/**
 * The built-in two-speaker call: an agent greeting and a customer complaint, 12.000 s each
 * (96,000 samples), 8 kHz 16-bit mono linear PCM (test/fixtures/audio/README.md says how they were
 * made). The WAV files are embedded into the `bun build --compile` binary, so this works without the
 * source tree.
 *
 * @returns `[agent, customer]` samples, for `simulateCall({ audio })`.
 * @throws WavFormatError (SIMULATE_BAD_WAV) only if the embedded files were replaced by another format.
 */
export async function defaultSpeech(): Promise<[agent: Int16Array, customer: Int16Array]> {
  const [agent, customer] = await Promise.all([
    assetPath(agentPath, "agent.wav").then((path) => Bun.file(path).bytes()),
    assetPath(customerPath, "customer.wav").then((path) => Bun.file(path).bytes()),
  ]);
  return [readWav16Mono(agent), readWav16Mono(customer)];
}
