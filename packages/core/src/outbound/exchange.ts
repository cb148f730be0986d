/**
 * What the limited HTTP client decides from a request and its response
 * alone: whether it may be sent twice, whether there is a body to hold the
 * permits for, whether the answer is a failure to learn from, whether it is
 * retried, and which host it goes to.
 */

/** RFC 9110 §9.2.2: a request with one of these methods may be sent twice with the effect of once. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])

/** Whether a method is idempotent (RFC 9110 §9.2.2). */
export const isIdempotent = (method: string): boolean => IDEMPOTENT_METHODS.has(method)

/**
 * Nothing to read: the exchange is over when the headers arrive, and so is
 * the permit (`HEAD`, 204, 304, `content-length: 0`).
 */
export const hasNoBody = (method: string, status: number, contentLength: string | undefined): boolean =>
  method === "HEAD" || status === 204 || status === 304 || contentLength === "0"

/**
 * How a call's ending reads for an adaptive limit: a 429 or a 5xx is the
 * upstream saying it is overloaded or broken, a failure like any other;
 * any other answer is a success.
 */
export const isFailureStatus = (status: number): boolean => status === 429 || status >= 500

/** What the retry decision needs of a checked policy. */
export interface RetryPolicy {
  readonly statuses: ReadonlySet<number>
  readonly nonIdempotent: boolean
}

/**
 * Whether a request with this method may be retried at all under `retry`:
 * only idempotent methods unless `nonIdempotent` (a 503 does not say
 * whether a POST took effect).
 */
export const mayRetry = (retry: RetryPolicy | undefined, method: string): boolean =>
  retry !== undefined && (retry.nonIdempotent || isIdempotent(method))

/** Whether an answer with this status is one the policy retries. */
export const retriesStatus = (retry: RetryPolicy, status: number): boolean => retry.statuses.has(status)

/** The host a request goes to, as `URL.host` spells it; `undefined` for a URL that does not parse. */
export const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url).host
  } catch {
    return undefined
  }
}

/**
 * The description of the `RequestError` a local refusal travels in through
 * a client whose error type is the platform's: it was never sent.
 */
export const refusedDescription = (busyMessage: string): string => `refused locally, not sent: ${busyMessage}`
