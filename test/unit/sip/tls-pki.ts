import { readFile } from "node:fs/promises";
import type { SipTlsOptions } from "../../../src/sip/index.ts";
import { createTestPki } from "../../helpers/test-pki.ts";

/** PEM text of a throw-away PKI: a CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface PemPki {
  ca: string;
  server: SipTlsOptions;
  client: SipTlsOptions;
}

/** Makes a test PKI with `openssl` and reads its files as PEM text (the folder is removed at once). */
export async function makePemPki(clientCommonName = "siprec-edge-test"): Promise<PemPki> {
  const pki = await createTestPki({ clientCommonName });
  try {
    const [ca, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
      [pki.ca, pki.serverCert, pki.serverKey, pki.clientCert, pki.clientKey].map((path) =>
        readFile(path, "utf8"),
      ),
    );
    return {
      ca: ca ?? "",
      server: { cert: serverCert ?? "", key: serverKey ?? "", ca: ca ?? "" },
      client: { cert: clientCert ?? "", key: clientKey ?? "", ca: ca ?? "" },
    };
  } finally {
    await pki.remove();
  }
}
