/**
 * What `POST /api/commands/<name>` needs from the command model (DESIGN.md §6, issue #4): the
 * executor `app/` hands to both MQTT and HTTP. This file holds types only.
 */

/** A command's reply: the HTTP status to answer with and the JSON body. */
export interface HttpCommandReply {
  /** HTTP status: 200 on success, 4xx for a refused command (400 bad params, 404 unknown, 409 conflict). */
  status: number;
  /** The JSON reply, `{ ok: true, result }` or `{ ok: false, error: { code, message, field?, known? } }`. */
  body: unknown;
}

/** The command executor (the same one MQTT uses). */
export interface HttpCommandExecutor {
  /** Known command names, for `GET /api/commands` and the unknown-command answer. */
  readonly names: readonly string[];
  /**
   * Runs a command with its JSON parameters (`{}` for an empty body). Never rejects for bad input
   * (it answers 4xx, including 404 for an unknown name); may reject on an internal failure.
   */
  execute(name: string, params: unknown): Promise<HttpCommandReply>;
}
