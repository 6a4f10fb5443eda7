import { readFileSync } from "node:fs";
import { ConfigError } from "./config.ts";

/** PEM text of a TLS section's files; absent keys stay absent. */
export interface PemTexts {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Reads the PEM files a TLS section names (`mqtt.tls`, `sip.tls`; paths already resolved against
 * the config file, and checked readable when it was loaded).
 * @param section the dotted key, for the error, e.g. `sip.tls`.
 * @throws ConfigError naming the key of a file that cannot be read (it vanished since the load).
 */
export function readPemFiles(section: string, files: { ca?: string; cert?: string; key?: string }): PemTexts {
  const out: PemTexts = {};
  for (const key of ["ca", "cert", "key"] as const) {
    const path = files[key];
    if (path === undefined) continue;
    try {
      out[key] = readFileSync(path, "utf8");
    } catch (err) {
      throw new ConfigError("(config)", [
        {
          key: `${section}.${key}`,
          message: `cannot be read (${(err as Error).message}); give a readable PEM file`,
        },
      ]);
    }
  }
  return out;
}
