/**
 * Outbound calls under the limiter: an Effect 4 `HttpClient`
 * (`effect/http/HttpClient`) whose every request holds a permit of the
 * listed resources for as long as its response is being read, keeps to a
 * request rate, and, when the upstream answers 429 or 503 all the same,
 * waits as its `Retry-After` says (or backs off) with the permit given back,
 * then retries.
 *
 * **How long a permit is held.** From before the request is sent until the
 * response body has been read to its end, or has failed, or its reading was
 * interrupted (`text`, `json`, `arrayBuffer`, `formData`, `urlParamsBody`,
 * `upgrade`, or `stream` when the stream ends however it ends) — not just
 * until the headers arrive, since until then the upstream is still serving
 * the request. A response with nothing to read (`HEAD`, 204, 304,
 * `content-length: 0`) releases it with the headers. A body nobody has
 * started to read gives it back `unreadBodyTimeout` (default 1 second)
 * after the headers, or when the `Scope` the call was made in closes, or
 * when the client's own scope closes, whichever comes first; the body stays
 * readable, without a permit. So no permit outlives its call by more than
 * that window, in a scope or not. (`HttpClientResponse.toWeb` answers
 * `None` for a limited response: a body handed over as a Web `Response`
 * could not be followed to its end.)
 *
 * **What an adaptive limit learns.** The permits are taken in the caller's
 * fiber with `Limiter.acquire` and released with the call's ending: a body
 * read to its end is a success, unless the upstream answered 429 or 5xx (a
 * failure, as is a failed request or body); an interrupted call, or a body
 * nobody read, teaches nothing.
 *
 * **Order per attempt:** permits (the limiter's FIFO queue, deadline and
 * `BusyError`), then a rate token, then the request. A rate token is never
 * held while queueing for a permit, so tokens are spent when requests go
 * out and not in a burst later.
 *
 * **What is Effect 4's own.** The rate is Effect 4's `RateLimiter`
 * (`effect/persistence/RateLimiter`, the one `HttpClient.withRateLimiter`
 * uses), over its in-memory store; the backoff is an Effect 4 `Schedule`.
 * `HttpClient.withRateLimiter` itself is not applied, and its retries are
 * not used: they would wait with the permits held (it sits inside the
 * permits, since the token comes after them), retry 429 only, without a
 * bound by default and whatever the method, and leave the refused body
 * unread. This client's retries give the permits back before waiting, cap
 * every wait at `maxDelay`, retry 503 too, and only idempotent methods
 * unless told otherwise. `Retry-After` is read by the shared core, exactly
 * as the Effect 3 line reads it (see `parseRetryAfter`).
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { BusyError } from "./BusyError.js"
import * as internal from "./internal/limitedHttpClient.js"
import { parseRetryAfter as parseRetryAfterInternal } from "./internal/retryAfter.js"
import type { Hosts, HostsResources, Options } from "./LimitedHttpClientOptions.js"
import type * as Limiter from "./Limiter.js"
import type { LimiterConfigError } from "./LimiterConfigError.js"
import type * as Resource from "./Resource.js"

/**
 * The options of the limited clients (`Options`, `RateOptions`,
 * `RetryOptions`, `Hosts`, …), documented in the `LimitedHttpClientOptions`
 * module.
 *
 * @example
 * ```ts
 * import type { LimitedHttpClient } from "@effect-concurrency-limiter/effect4"
 *
 * const retry: LimitedHttpClient.RetryOptions = { times: 5 }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export * from "./LimitedHttpClientOptions.js"

/**
 * Decorates a client: every request runs under the options' resources,
 * rate and retry policy (see the module's notes for how long a permit is
 * held). The result fails with `BusyError` as well when no permit comes
 * within the limiter's timeout. Needs the `Limiter` and the resources in
 * context, and a `Scope`: it owns the rate limiter and the unread-body
 * timers, and closing it gives back the permits of unread responses made
 * outside any scope. Bad options fail with a `LimiterConfigError` that
 * names the option and the value.
 *
 * Data-first or data-last.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as HttpClient from "effect/http/HttpClient"
 * import { LimitedHttpClient, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Api = Resource.make("Api", { capacity: 10 })
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* HttpClient.HttpClient.pipe(
 *     Effect.flatMap(LimitedHttpClient.make({
 *       resources: [Api],
 *       rate: { limit: 10, interval: "100 millis", algorithm: "fixed-window" },
 *       retry: { times: 5 }
 *     }))
 *   )
 *   return yield* client.get("https://api.example.com/items/1").pipe(Effect.flatMap((r) => r.json))
 * })
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const make: {
  <const Resources extends Limiter.NonEmptyResources>(
    options: Options<Resources> & { readonly resources: Limiter.Distinct<Resources> }
  ): <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ) => Effect.Effect<
    HttpClient.HttpClient.With<E | BusyError, R>,
    LimiterConfigError,
    Scope.Scope | Limiter.Limiter | Resource.Resource.Identifiers<Resources>
  >
  <E, R, const Resources extends Limiter.NonEmptyResources>(
    client: HttpClient.HttpClient.With<E, R>,
    options: Options<Resources> & { readonly resources: Limiter.Distinct<Resources> }
  ): Effect.Effect<
    HttpClient.HttpClient.With<E | BusyError, R>,
    LimiterConfigError,
    Scope.Scope | Limiter.Limiter | Resource.Resource.Identifiers<Resources>
  >
} = internal.make as any

/**
 * Decorates a client with limits per host: a request to a listed host runs
 * under that host's resources, rate and retry policy; a request to any
 * other host (or to a URL that does not parse) goes through untouched.
 * One client can so call several APIs, each with its own limits.
 *
 * Data-first or data-last.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as HttpClient from "effect/http/HttpClient"
 * import { LimitedHttpClient, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Payments = Resource.make("Payments", { capacity: 4 })
 * const Search = Resource.make("Search", { capacity: 20 })
 *
 * const makeClient = Effect.flatMap(
 *   HttpClient.HttpClient,
 *   LimitedHttpClient.makeKeyed({
 *     "api.payments.example": { resources: [Payments], rate: { limit: 10, interval: "1 second" }, retry: {} },
 *     "search.example": { resources: [Search] }
 *   })
 * )
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const makeKeyed: {
  <const H extends Hosts>(
    hosts: H
  ): <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ) => Effect.Effect<
    HttpClient.HttpClient.With<E | BusyError, R>,
    LimiterConfigError,
    Scope.Scope | Limiter.Limiter | HostsResources<H>
  >
  <E, R, const H extends Hosts>(
    client: HttpClient.HttpClient.With<E, R>,
    hosts: H
  ): Effect.Effect<
    HttpClient.HttpClient.With<E | BusyError, R>,
    LimiterConfigError,
    Scope.Scope | Limiter.Limiter | HostsResources<H>
  >
} = internal.makeKeyed as any

/**
 * Replaces the `HttpClient` in context with a limited one (see `make`), so
 * that code written against `HttpClient.HttpClient` is limited without a
 * change. An `HttpClient` fails with `HttpClientError` only, so a
 * `BusyError` reaches its caller as an `HttpClientError` whose reason is an
 * `EncodeError` (a request error: the request was never sent) and whose
 * `cause` is the `BusyError` (test for it with `isBusy`). It is not a
 * `TransportError`, so `HttpClient.retryTransient` does not retry local
 * overload. (`make` keeps the `BusyError` itself in the error channel.)
 *
 * @example
 * ```ts
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import { LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Api = Resource.make("Api", { capacity: 10 })
 *
 * const HttpClientLive = LimitedHttpClient.layer({ resources: [Api], retry: {} }).pipe(
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(Limiter.layer({ timeout: "30 seconds", resources: [Api] }))
 * )
 * ```
 *
 * @since 0.6.0
 * @category layers
 */
export const layer: <const Resources extends Limiter.NonEmptyResources>(
  options: Options<Resources> & { readonly resources: Limiter.Distinct<Resources> }
) => Layer.Layer<
  HttpClient.HttpClient,
  LimiterConfigError,
  HttpClient.HttpClient | Limiter.Limiter | Resource.Resource.Identifiers<Resources>
> = internal.layer as any

/**
 * The keyed variant of `layer`: replaces the `HttpClient` in context with
 * one limited per host (see `makeKeyed`).
 *
 * @example
 * ```ts
 * import * as FetchHttpClient from "effect/http/FetchHttpClient"
 * import * as Layer from "effect/Layer"
 * import { LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Payments = Resource.make("Payments", { capacity: 4 })
 * const Search = Resource.make("Search", { capacity: 20 })
 *
 * const HttpClientLive = LimitedHttpClient.layerKeyed({
 *   "api.payments.example": { resources: [Payments], retry: {} },
 *   "search.example": { resources: [Search] }
 * }).pipe(
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(Limiter.layer({ timeout: "30 seconds", resources: [Payments, Search] }))
 * )
 * ```
 *
 * @since 0.6.0
 * @category layers
 */
export const layerKeyed: <const H extends Hosts>(
  hosts: H
) => Layer.Layer<
  HttpClient.HttpClient,
  LimiterConfigError,
  HttpClient.HttpClient | Limiter.Limiter | HostsResources<H>
> = internal.layerKeyed as any

/**
 * Whether an error of a client from `layer` / `layerKeyed` is a `BusyError`
 * in its `HttpClientError` wrapping (reason `EncodeError`): no permit came
 * within the timeout, and the request was not sent.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as HttpClient from "effect/http/HttpClient"
 * import { LimitedHttpClient } from "@effect-concurrency-limiter/effect4"
 *
 * const call = HttpClient.get("https://api.example.com/items/1").pipe(
 *   Effect.catchIf(LimitedHttpClient.isBusy, () => Effect.succeed(undefined))
 * )
 * ```
 *
 * @since 0.6.0
 * @category refinements
 */
export const isBusy: (
  error: unknown
) => error is HttpClientError.HttpClientError & {
  readonly reason: HttpClientError.EncodeError & { readonly cause: BusyError }
  readonly cause: BusyError
} = internal.isBusy as any

/**
 * Reads a `Retry-After` header value (RFC 9110 §10.2.3) into how long to
 * wait, never longer than `max` — the shared core's parser, the Effect 3
 * line's too:
 *
 * | value | result |
 * | --- | --- |
 * | `"120"` (delta-seconds) | 120 seconds |
 * | `"0"` | zero: retry at once |
 * | an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`, or the RFC 850 and asctime forms) | the time from `now` to it |
 * | an HTTP date at or before `now` | zero |
 * | more than `max` (`"86400"`, a date next year, 400 digits) | `max` |
 * | missing (`undefined`), empty | `None` |
 * | malformed: `"-5"`, `"1.5"`, `"soon"`, a date in another format (`"2026-11-25T12:00:00Z"`) | `None` |
 *
 * `None` means "the server said nothing usable": the client falls back to
 * its backoff. `now` is in epoch milliseconds (`Clock.currentTimeMillis`).
 * (Effect 4's `Headers.parseRetryAfter` reads the same forms, a little
 * more leniently, and has no cap; `HttpClient`'s own retries floor a past
 * date at one millisecond. The core's parser keeps both lines' answers
 * identical.)
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert"
 * import * as Duration from "effect/Duration"
 * import * as Option from "effect/Option"
 * import { LimitedHttpClient } from "@effect-concurrency-limiter/effect4"
 *
 * const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")
 * const seconds = (value: string) =>
 *   LimitedHttpClient.parseRetryAfter(value, { now, max: "30 seconds" }).pipe(Option.map(Duration.toSeconds))
 *
 * deepStrictEqual(seconds("3"), Option.some(3))
 * deepStrictEqual(seconds("Wed, 21 Oct 2015 07:28:10 GMT"), Option.some(10))
 * deepStrictEqual(seconds("86400"), Option.some(30)) // capped at max
 * deepStrictEqual(seconds("soon"), Option.none())
 * ```
 *
 * @since 0.6.0
 * @category parsing
 */
export const parseRetryAfter: (
  value: string | undefined,
  options: { readonly now: number; readonly max: Duration.Input }
) => Option.Option<Duration.Duration> = parseRetryAfterInternal
