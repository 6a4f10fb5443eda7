import { isIP } from "node:net";
import type { ConnectionOptions, TlsOptions } from "node:tls";

/**
 * TLS material of the stack (RFC 3261 §26.2.1, RFC 5630 §3.1.3): one certificate/key used as the
 * server certificate of `tls:` listeners and as the client certificate of outbound TLS connections
 * (SIP peers authenticate each other mutually with one certificate each).
 */
export interface SipTlsOptions {
  /**
   * Our certificate chain, PEM text (leaf first). Required by `tls:` listeners; without it outbound
   * connections offer no client certificate.
   */
  cert?: string;
  /** The private key of `cert`, PEM text (unencrypted). */
  key?: string;
  /**
   * Trust anchors, PEM text: remote servers (and, with `verifyClients`, remote clients) must chain to
   * one of them. Unset: the runtime's public root store.
   */
  ca?: string;
  /**
   * Whether our TLS listeners ask every client for a certificate and refuse connections without a valid
   * one (mutual TLS, RFC 5922 §7.3). @default false
   */
  verifyClients?: boolean;
}

/** Whether `tls` has a certificate and its key (a `tls:` listener needs both). */
export function hasCertificate(tls: SipTlsOptions | undefined): boolean {
  return Boolean(tls?.cert) && Boolean(tls?.key);
}

/** Options of `tls.createServer` for a `tls:` listener (check {@link hasCertificate} first). */
export function tlsServerOptions(tls: SipTlsOptions): TlsOptions {
  const verify = tls.verifyClients === true;
  return {
    cert: tls.cert ?? "",
    key: tls.key ?? "",
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    requestCert: verify,
    rejectUnauthorized: verify,
  };
}

/**
 * Options of `tls.connect` towards `host:port`: the server certificate must chain to `ca` and match
 * `domain` (the SIP domain, also sent as SNI: RFC 5922 §4, §7.2, RFC 6066 §3), or, when `domain` is
 * unset or an IP literal, carry `host` as an IP subjectAltName (RFC 6125 §6.4.4 for IP references).
 * Our certificate is offered as the client certificate when configured.
 */
export function tlsClientOptions(
  tls: SipTlsOptions | undefined,
  host: string,
  port: number,
  domain: string | undefined,
): ConnectionOptions {
  const options: ConnectionOptions = { host, port, rejectUnauthorized: true };
  if (tls?.ca !== undefined) options.ca = tls.ca;
  if (tls?.cert && tls.key) {
    options.cert = tls.cert;
    options.key = tls.key;
  }
  if (domain !== undefined && isIP(domain) === 0) options.servername = domain;
  return options;
}
