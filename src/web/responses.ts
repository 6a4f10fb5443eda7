/** Headers of every answer: nothing cached, no content sniffing, no referrer. */
export const commonHeaders = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** A plain-text answer. */
export function text(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...commonHeaders, ...extra },
  });
}

/**
 * A JSON answer, 200 unless `status` says otherwise.
 * @throws TypeError when `value` cannot be serialized (a BigInt, a cycle).
 */
export function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...commonHeaders },
  });
}

/** A file download (200): `content-disposition: attachment` with the given file name. */
export function download(bytes: Uint8Array, contentType: string, fileName: string): Response {
  return new Response(bytes, {
    headers: {
      "content-type": contentType,
      "content-length": String(bytes.byteLength),
      "content-disposition": `attachment; filename="${fileName}"`,
      ...commonHeaders,
    },
  });
}
