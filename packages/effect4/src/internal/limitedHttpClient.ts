import {
  hostOf,
  mayRetry,
  refusedDescription,
  retriesStatus
} from "@effect-concurrency-limiter/core/outbound/exchange"
import { hostPrefix } from "@effect-concurrency-limiter/core/outbound/options"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RateLimiter from "effect/persistence/RateLimiter"
import * as Pull from "effect/Pull"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type { BusyError } from "../BusyError.js"
import type * as LimitedHttpClient from "../LimitedHttpClientOptions.js"
import * as Limiter from "../Limiter.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import { validateHost, validateOptions, type ValidOptions, type ValidRetry } from "./limitedHttpClientOptions.js"
import { endingOf, respond } from "./limitedResponse.js"
import { parseRetryAfter } from "./retryAfter.js"

/** What the retry schedule sees after each retryable answer. */
interface RetryInput {
  readonly status: number
  readonly retryAfter: Option.Option<Duration.Duration>
}

/**
 * The retry policy as a `Schedule`: exponential backoff from `backoff`,
 * jittered (×0.8–1.2) so that clients turned away together do not come back
 * together, capped at `maxDelay`; a `Retry-After` the server sent replaces
 * the backoff (it is already capped by the parser); at most `times` retries.
 */
const retrySchedule = (retry: ValidRetry): Schedule.Schedule<Duration.Duration, RetryInput> =>
  Schedule.exponential(retry.backoff).pipe(
    Schedule.setInputType<RetryInput>(),
    Schedule.jittered,
    Schedule.modifyDelay(({ duration, input }) =>
      Effect.succeed(Option.getOrElse(input.retryAfter, () => Duration.min(duration, retry.maxDelay)))
    ),
    Schedule.upTo({ times: retry.times })
  )

/** One host's policy, ready to run: options checked, rate limiter built, limiter context captured. */
interface Policy {
  readonly options: ValidOptions
  /** Takes the policy's permits for as long as `scope` stays open (`Limiter.acquire`). */
  readonly acquire: (scope: Scope.Scope) => Effect.Effect<void, BusyError>
  /** Waits for a rate token, when there is a rate. */
  readonly token: Effect.Effect<void> | undefined
  readonly schedule: Schedule.Schedule<Duration.Duration, RetryInput> | undefined
  /** The client's own scope: it owns the unread-body timers, and the permits of calls made outside any scope. */
  readonly scope: Scope.Scope
}

type Step = (now: number, input: RetryInput) => Pull.Pull<[Duration.Duration, Duration.Duration], never, Duration.Duration>

type Verdict =
  | { readonly _tag: "Done"; readonly response: HttpClientResponse.HttpClientResponse }
  | { readonly _tag: "Retry"; readonly delay: Duration.Duration; readonly status: number }

/** Asks the schedule whether a retryable answer is retried, and after how long. */
const decide = (
  policy: Policy,
  step: Step | undefined,
  retryable: boolean,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<Option.Option<Duration.Duration>> => {
  const retry = policy.options.retry
  if (!retryable || retry === undefined || step === undefined || !retriesStatus(retry, response.status)) {
    return Effect.succeedNone
  }
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const retryAfter = parseRetryAfter(response.headers["retry-after"], { now, max: retry.maxDelay })
    return step(now, { status: response.status, retryAfter }).pipe(
      Effect.map(([_, delay]) => Option.some(delay)),
      Pull.catchDone(() => Effect.succeedNone)
    )
  })
}

/**
 * One attempt: permits, then a rate token, then the request; then either the
 * response, which now owns the permits, or a retry, with the permits already
 * back. Uninterruptible but for the waits, so that whatever ends it — a
 * failure, a `BusyError`, an interruption — finds the scope closed or owned.
 * The permits are held by a scope of their own, a child of the caller's
 * scope when there is one (closing it gives them back), else of the
 * client's; they are taken in the caller's fiber (`Limiter.acquire`).
 *
 * The permits are taken before the rate token: a token taken first and then
 * held while queueing for a permit would be spent late, in a burst with
 * others, which is exactly what trips a sliding-window limit upstream.
 */
const attempt = <E, R>(
  policy: Policy,
  send: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  request: HttpClientRequest.HttpClientRequest,
  outer: Option.Option<Scope.Scope>,
  retryable: boolean,
  step: Step | undefined
): Effect.Effect<Verdict, E | BusyError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Scope.fork(Option.getOrElse(outer, () => policy.scope), "sequential"), (scope) =>
      Effect.gen(function*() {
        yield* restore(policy.acquire(scope))
        if (policy.token !== undefined) {
          yield* restore(policy.token).pipe(Effect.withSpan("LimitedHttpClient.rateLimit", {}, { captureStackTrace: false }))
        }
        const response = yield* restore(send)
        const delay = yield* decide(policy, step, retryable, response)
        if (Option.isNone(delay)) {
          const options = { unreadBodyTimeout: policy.options.unreadBodyTimeout, clientScope: policy.scope }
          return { _tag: "Done", response: yield* respond(request, response, scope, options) } as const
        }
        // Read the refusal to its end so that its connection is free for
        // the next request, then give the permits back before sleeping.
        yield* restore(Effect.ignore(response.arrayBuffer))
        yield* Scope.close(scope, endingOf(response))
        return { _tag: "Retry", delay: delay.value, status: response.status } as const
      }).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))))
  )

/** Runs a request under a policy: attempts, with the sleeps between them holding nothing. */
const run = <E, R>(
  policy: Policy,
  send: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse, E | BusyError, R> =>
  Effect.gen(function*() {
    const outer = yield* Effect.serviceOption(Scope.Scope)
    const retryable = mayRetry(policy.options.retry, request.method)
    // A schedule's step keeps its state (the attempt, the jitter's draws): one per call.
    const step = retryable && policy.schedule !== undefined ? yield* Schedule.toStep(policy.schedule) : undefined
    for (let retries = 0;; retries++) {
      const verdict = yield* attempt(policy, send, request, outer, retryable, step)
      if (verdict._tag === "Done") return verdict.response
      yield* Effect.sleep(verdict.delay).pipe(
        Effect.withSpan("LimitedHttpClient.retryWait", {
          attributes: {
            "http.response.status_code": verdict.status,
            "retry.attempt": retries + 1,
            "retry.delay_ms": Duration.toMillis(verdict.delay)
          }
        }, { captureStackTrace: false })
      )
    }
  })

/** The key of a policy's requests in its own rate limiter's store. */
const RATE_KEY = "LimitedHttpClient"

/**
 * A rate limiter of its own for one policy: Effect 4's `RateLimiter` over
 * its in-memory store, built in the client's scope (which stops the store's
 * sweep). The in-memory store's operations are synchronous and cannot fail,
 * so its `RateLimiterError` is a defect here.
 */
const makeToken = (rate: NonNullable<ValidOptions["rate"]>): Effect.Effect<Effect.Effect<void>, never, Scope.Scope> =>
  Effect.map(
    Layer.build(RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))),
    (context) => {
      const limiter = Context.get(context, RateLimiter.RateLimiter)
      return Effect.orDie(Effect.asVoid(RateLimiter.sleep(limiter, {
        algorithm: rate.algorithm,
        window: rate.interval,
        limit: rate.limit,
        key: RATE_KEY
      })))
    }
  )

/** Builds one host's policy: checks the options against the limiter in context, makes the rate limiter. */
const makePolicy = (
  prefix: string,
  options: LimitedHttpClient.Options<Limiter.NonEmptyResources>
): Effect.Effect<Policy, LimiterConfigError, Scope.Scope | Limiter.Limiter> =>
  Effect.gen(function*() {
    const limiter = yield* Limiter.Limiter
    const valid = validateOptions(prefix, options, limiter)
    if (Result.isFailure(valid)) return yield* Effect.fail(valid.failure)
    const checked = valid.success
    const token = checked.rate === undefined ? undefined : yield* makeToken(checked.rate)
    // The acquisition gets the limiter and the resources' semaphores from
    // here, where they are known to be, and the permits' scope per call.
    const here = yield* Effect.context<never>()
    const context = checked.resources.reduce(
      (acc, resource) => Context.add(acc, resource, Context.getUnsafe(here as Context.Context<unknown>, resource)),
      Context.make(Limiter.Limiter, limiter) as Context.Context<unknown>
    )
    const take: Effect.Effect<void, BusyError, Scope.Scope> = (Limiter.acquire as any)(checked.resources, {
      timeout: checked.timeout,
      partition: checked.partition
    })
    return {
      options: checked,
      acquire: (scope) => Effect.provideContext(take, Context.add(context, Scope.Scope, scope) as Context.Context<Scope.Scope>),
      scope: yield* Effect.scope,
      token,
      schedule: checked.retry === undefined ? undefined : retrySchedule(checked.retry)
    }
  })

const decorate = <E, R>(
  client: HttpClient.HttpClient.With<E, R>,
  policyFor: (request: HttpClientRequest.HttpClientRequest) => Policy | undefined
): HttpClient.HttpClient.With<E | BusyError, R> =>
  HttpClient.transform(client, (send, request) => {
    const policy = policyFor(request)
    return policy === undefined ? send : run(policy, send, request)
  })

type Made<E, R> = Effect.Effect<HttpClient.HttpClient.With<E | BusyError, R>, LimiterConfigError, Scope.Scope | Limiter.Limiter>

/** @internal */
export const make = dual<
  (options: LimitedHttpClient.Options<Limiter.NonEmptyResources>) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => Made<E, R>,
  <E, R>(client: HttpClient.HttpClient.With<E, R>, options: LimitedHttpClient.Options<Limiter.NonEmptyResources>) => Made<E, R>
>(2, (client, options) =>
  Effect.map(makePolicy("", options), (policy) => decorate(client, () => policy)).pipe(
    Effect.withSpan("LimitedHttpClient.make", {}, { captureStackTrace: false })
  ))

/** @internal */
export const makeKeyed = dual<
  (hosts: LimitedHttpClient.Hosts) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => Made<E, R>,
  <E, R>(client: HttpClient.HttpClient.With<E, R>, hosts: LimitedHttpClient.Hosts) => Made<E, R>
>(2, (client, hosts) =>
  Effect.gen(function*() {
    const policies = new Map<string, Policy>()
    for (const [host, options] of Object.entries(hosts)) {
      const valid = validateHost(host)
      if (Result.isFailure(valid)) return yield* Effect.fail(valid.failure)
      policies.set(host, yield* makePolicy(hostPrefix(host), options))
    }
    return decorate(client, (request) => {
      const host = hostOf(request.url)
      return host === undefined ? undefined : policies.get(host)
    })
  }).pipe(Effect.withSpan("LimitedHttpClient.makeKeyed", {}, { captureStackTrace: false })))

const isBusyError = (error: unknown): error is BusyError =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === "BusyError"

/**
 * An `HttpClient` in context fails with `HttpClientError` only, so a
 * `BusyError` travels as one whose reason is an `EncodeError` — the request
 * was never put on the wire — with the `BusyError` as its `cause`. Not a
 * `TransportError`: `HttpClient.retryTransient` retries those, which
 * against local overload only queues the same request again.
 *
 * @internal
 */
export const busyAsRequestError = <R>(
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError | BusyError, R>
): HttpClient.HttpClient.With<HttpClientError.HttpClientError, R> =>
  HttpClient.makeWith(
    Effect.flatMap((request: HttpClientRequest.HttpClientRequest) =>
      Effect.catchIf(client.execute(request), isBusyError, (busy) =>
        Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.EncodeError({ request, cause: busy, description: refusedDescription(busy.message) })
          })
        ))
    ),
    Effect.succeed<HttpClientRequest.HttpClientRequest>
  )

/** @internal */
export const layer = (
  options: LimitedHttpClient.Options<Limiter.NonEmptyResources>
): Layer.Layer<HttpClient.HttpClient, LimiterConfigError, HttpClient.HttpClient | Limiter.Limiter> =>
  Layer.effect(HttpClient.HttpClient, Effect.flatMap(HttpClient.HttpClient, make(options)).pipe(Effect.map(busyAsRequestError)))

/** @internal */
export const layerKeyed = (
  hosts: LimitedHttpClient.Hosts
): Layer.Layer<HttpClient.HttpClient, LimiterConfigError, HttpClient.HttpClient | Limiter.Limiter> =>
  Layer.effect(HttpClient.HttpClient, Effect.flatMap(HttpClient.HttpClient, makeKeyed(hosts)).pipe(Effect.map(busyAsRequestError)))

/** @internal */
export const isBusy = (error: unknown): error is HttpClientError.HttpClientError =>
  HttpClientError.isHttpClientError(error) && error.reason._tag === "EncodeError" && isBusyError(error.reason.cause)
