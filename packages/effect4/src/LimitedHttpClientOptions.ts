/**
 * The options of `LimitedHttpClient`: its rate, its retries, and one entry
 * per host. `LimitedHttpClient` re-exports them all: write
 * `LimitedHttpClient.Options`, `LimitedHttpClient.RetryOptions`, … Kept
 * apart so that each module stays readable.
 *
 * @example
 * ```ts
 * import type { LimitedHttpClient } from "@effect-concurrency-limiter/effect4"
 *
 * export const retry: LimitedHttpClient.RetryOptions = { times: 5 }
 * ```
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as Duration from "effect/Duration"
import type * as Limiter from "./LimiterOptions.js"
import type * as Resource from "./Resource.js"

/**
 * A request rate, kept with Effect 4's own `RateLimiter`
 * (`effect/persistence/RateLimiter`, over its in-memory store, one per
 * client and host): only the moment a request is sent is rate limited; the
 * resources bound how many are in flight.
 *
 * To stay under an upstream's limit of N per window W, give the limiter
 * the allowance in slices and mind each algorithm's burst:
 *
 * - `fixed-window` hands out `limit` slots per `interval`, in windows that
 *   start with the first request and follow one another while requests
 *   keep coming; a request beyond a window's `limit` waits for the next
 *   one. `{ limit: N / 10, interval: W / 10 }` sends N per W under steady
 *   demand. The windows keep their schedule, so a request whose timer
 *   fires late (never early) joins the next window's; and when demand
 *   stops and starts again, a window that was not filled ends early
 *   (after `interval / limit` per request it held): a W can see up to
 *   1.1 N. Against a sliding window, never use `{ limit: N, interval: W }`:
 *   two bursts of N at a boundary are 2 N within one W.
 * - `token-bucket` starts full (`limit` tokens) and adds one every
 *   `interval / limit`, so any W sees at most `limit + W / (interval / limit)`:
 *   `{ limit: 5, interval: "50 millis" }` sends at most 105 in any second.
 *
 * The retry policy covers what gets through all the same.
 *
 * @example
 * ```ts
 * import type { LimitedHttpClient } from "@effect-concurrency-limiter/effect4"
 *
 * // An upstream that allows 100 requests per second: 10 per 100 ms.
 * const rate: LimitedHttpClient.RateOptions = { limit: 10, interval: "100 millis", algorithm: "fixed-window" }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface RateOptions {
  /** Requests per `interval`: a positive safe integer. */
  readonly limit: number
  /** A positive finite duration. */
  readonly interval: Duration.Input
  /** Default `"token-bucket"`. */
  readonly algorithm?: "token-bucket" | "fixed-window" | undefined
}

/**
 * What to do when the upstream refuses a request all the same.
 *
 * On one of `statuses` (default 429 and 503) the request is retried, at
 * most `times` times, after the delay its `Retry-After` header gives
 * (delta-seconds or an HTTP date, see `parseRetryAfter`) or, without a
 * usable one, an exponential backoff from `backoff` (×2 per retry,
 * jittered ×0.8–1.2, an Effect 4 `Schedule`); no delay exceeds `maxDelay`.
 * The permits are given back while waiting, so that other requests are
 * not blocked behind a sleeping retry, and taken again (with a new rate
 * token) for the retry. When the retries are spent the caller gets the last
 * answer, a response like any other.
 *
 * Only idempotent methods (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) are
 * retried unless `nonIdempotent` is `true`: a 503 does not say whether a POST
 * took effect.
 *
 * @example
 * ```ts
 * import type { LimitedHttpClient } from "@effect-concurrency-limiter/effect4"
 *
 * const retry: LimitedHttpClient.RetryOptions = { times: 5, maxDelay: "10 seconds" }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface RetryOptions {
  /** Retries after the first attempt: a non-negative safe integer. Default 3. */
  readonly times?: number | undefined
  /** Statuses (400-599) that are retried. Default `[429, 503]`. */
  readonly statuses?: ReadonlyArray<number> | undefined
  /** The first backoff delay when there is no usable `Retry-After`. Default `"200 millis"`. */
  readonly backoff?: Duration.Input | undefined
  /** The longest single wait, `Retry-After` included. Default `"30 seconds"`. */
  readonly maxDelay?: Duration.Input | undefined
  /** Retry POST and PATCH too. Default `false`. */
  readonly nonIdempotent?: boolean | undefined
}

/**
 * The limits of one upstream.
 *
 * @example
 * ```ts
 * import { type LimitedHttpClient, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Api = Resource.make("Api", { capacity: 10 })
 *
 * const options: LimitedHttpClient.Options<[typeof Api]> = {
 *   resources: [Api],
 *   rate: { limit: 10, interval: "100 millis", algorithm: "fixed-window" },
 *   retry: { times: 5 }
 * }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Options<Resources extends Limiter.NonEmptyResources> {
  /** Every request holds one permit of each, as `Limiter.withResources` would. */
  readonly resources: Resources
  /** Overrides the limiter's timeout for the wait for permits. */
  readonly timeout?: Duration.Input | undefined
  /**
   * The partition the requests belong to, on the resources that have
   * partitions: required then (checked when the client is made, with a
   * `LimiterConfigError`), and one they all have.
   */
  readonly partition?: Limiter.CommonPartition<Resources> | undefined
  /** A request rate. Without it, only the resources bound the requests. */
  readonly rate?: RateOptions | undefined
  /** A response policy for 429 and 503. Without it, every response goes to the caller as it came. */
  readonly retry?: RetryOptions | undefined
  /**
   * How long after its headers a response whose body nobody has started to
   * read keeps its permits; then they go back (the body stays readable,
   * without them). A non-negative finite duration. Default `"1 second"`.
   */
  readonly unreadBodyTimeout?: Duration.Input | undefined
}

/**
 * The options of a keyed client: one entry per host, spelled as `URL.host`
 * spells it (lower case, with a port only when it is not the scheme's
 * default): `"api.example.com"`, `"127.0.0.1:8080"`.
 *
 * @example
 * ```ts
 * import { type LimitedHttpClient, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Payments = Resource.make("Payments", { capacity: 4 })
 * const Search = Resource.make("Search", { capacity: 20 })
 *
 * const hosts = {
 *   "api.payments.example": { resources: [Payments], rate: { limit: 10, interval: "1 second" } },
 *   "search.example:8443": { resources: [Search], retry: {} }
 * } satisfies LimitedHttpClient.Hosts
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Hosts {
  readonly [host: string]: Options<Limiter.NonEmptyResources>
}

/**
 * The resources a keyed client's hosts list, as they appear in `R`.
 *
 * @example
 * ```ts
 * import { LimitedHttpClient, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Payments = Resource.make("Payments", { capacity: 4 })
 * const Search = Resource.make("Search", { capacity: 20 })
 * const hosts = { "a.example": { resources: [Payments] }, "b.example": { resources: [Search] } } as const
 *
 * // Resource.Resource.Identifier<"Payments"> | Resource.Resource.Identifier<"Search">
 * type Needed = LimitedHttpClient.HostsResources<typeof hosts>
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type HostsResources<H extends Hosts> = {
  [K in keyof H]: Resource.Resource.Identifiers<H[K]["resources"]>
}[keyof H]
