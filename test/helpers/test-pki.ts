import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** PEM files of a throw-away PKI for TLS tests, all in one temp folder. */
export interface TestPki {
  /** The temp folder holding every file. */
  readonly dir: string;
  /** Self-signed CA certificate (PEM), the trust anchor of both sides. */
  readonly ca: string;
  /** Server certificate for `127.0.0.1` (subjectAltName `IP:127.0.0.1`, extendedKeyUsage serverAuth), PEM. */
  readonly serverCert: string;
  /** Private key of {@link TestPki.serverCert} (PKCS#8 PEM, unencrypted). */
  readonly serverKey: string;
  /** Client certificate (CN = `clientCommonName`, extendedKeyUsage clientAuth), PEM. */
  readonly clientCert: string;
  /** Private key of {@link TestPki.clientCert} (PKCS#8 PEM, unencrypted). */
  readonly clientKey: string;
  /** Deletes the folder. Idempotent. */
  remove(): Promise<void>;
}

/** Options of {@link createTestPki}. */
export interface TestPkiOptions {
  /** Common Name of the client certificate, e.g. the appliance id. */
  clientCommonName: string;
  /** Days the certificates are valid. @default 2 */
  days?: number;
}

const opensslBin = "openssl";

// Extension sections used with `-extensions`; the empty `dn` section satisfies `req` since every
// subject comes from `-subj`.
const opensslConfig = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/**
 * Creates, with the `openssl` CLI (OpenSSL ≥ 3.0 for `req -x509 -CA`), a test CA, a server
 * certificate for `127.0.0.1` and a client certificate, each with its own EC P-256 key (RFC 5480),
 * in a fresh temp folder. Three `openssl` runs, a few tens of ms. Call `remove()` when done.
 * @throws Error when openssl is missing or fails (its stderr is in the message).
 */
export async function createTestPki(options: TestPkiOptions): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "siprec-edge-pki-"));
  const path = (name: string): string => join(dir, name);
  const config = path("openssl.cnf");
  const days = String(options.days ?? 2);
  const pki = {
    dir,
    ca: path("ca.pem"),
    serverCert: path("server.pem"),
    serverKey: path("server.key"),
    clientCert: path("client.pem"),
    clientKey: path("client.key"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  const newCertificate = async (
    section: "ca" | "server" | "client",
    subject: string,
    cert: string,
    key: string,
  ): Promise<void> => {
    const args = ["req", "-x509", "-new", "-config", config, "-extensions", section, "-days", days];
    args.push("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes");
    args.push("-subj", subject, "-keyout", key, "-out", cert);
    if (section !== "ca") args.push("-CA", pki.ca, "-CAkey", path("ca.key"));
    try {
      await run(opensslBin, args);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      throw new Error(`openssl could not make the ${section} certificate: ${stderr || String(err)}`);
    }
  };
  try {
    await writeFile(config, opensslConfig);
    await newCertificate("ca", "/CN=siprec-edge test CA", pki.ca, path("ca.key"));
    await Promise.all([
      newCertificate("server", "/CN=127.0.0.1", pki.serverCert, pki.serverKey),
      newCertificate("client", `/CN=${options.clientCommonName}`, pki.clientCert, pki.clientKey),
    ]);
  } catch (err) {
    await pki.remove();
    throw err;
  }
  return pki;
}
