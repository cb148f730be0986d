/**
 * The HTTP answer to a request a limiter refused, as both Effect lines send
 * it: status 503, a JSON body byte for byte the one of
 * `fastapi-concurrency-limiter` (so clients written for it keep working),
 * and a `Retry-After` header.
 *
 * @since 0.5.0
 */

/** The status of a refusal: 503 Service Unavailable. */
export const status = 503

/** The text of the body's `detail`. */
export const detail = "Server busy, please retry later"

/** The body, byte for byte: `JSON.stringify({ detail })`, spelled out so that no serializer can change it. */
export const responseBody = "{\"detail\":\"Server busy, please retry later\"}"

/** The body's content type, without a charset, as the Python library sends it. */
export const contentType = "application/json"

/** The name of the header that says when to retry, as it is written on the wire. */
export const retryAfterHeader = "retry-after"

/**
 * Seconds a client should wait before retrying, for a request that waited
 * `waitedSeconds`: the wait rounded up, at least 1 — by then the queue it
 * met has turned over. A refusal that did not wait says 1.
 */
export const retryAfterSeconds = (waitedSeconds: number): number => Math.max(1, Math.ceil(waitedSeconds))
