import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RateLimiter from "effect/RateLimiter"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import {
  hasNoBody,
  hostOf,
  isFailureStatus,
  mayRetry,
  refusedDescription,
  retriesStatus
} from "@effect-concurrency-limiter/core/outbound/exchange"
import { hostPrefix } from "@effect-concurrency-limiter/core/outbound/options"
import type { BusyError } from "../BusyError.js"
import * as Limiter from "../Limiter.js"
import type * as LimitedHttpClient from "../LimitedHttpClient.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import { validateHost, validateOptions, type ValidOptions, type ValidRetry } from "./limitedHttpClientOptions.js"
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
const retrySchedule = (retry: ValidRetry): Schedule.Schedule<unknown, RetryInput> =>
  Schedule.exponential(retry.backoff).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.identity<RetryInput>()),
    Schedule.modifyDelay(([_, input], delay) =>
      Option.getOrElse(input.retryAfter, () => Duration.min(delay, retry.maxDelay))
    ),
    Schedule.intersect(Schedule.recurs(retry.times))
  )

/** One host's policy, ready to run: options checked, rate limiter built, limiter context captured. */
interface Policy {
  readonly options: ValidOptions
  /** Takes the policy's permits for as long as `scope` stays open (`Limiter.acquire`). */
  readonly acquire: (scope: Scope.Scope) => Effect.Effect<void, BusyError>
  readonly rateLimiter: RateLimiter.RateLimiter | undefined
  readonly schedule: Schedule.Schedule<unknown, RetryInput> | undefined
  /** The client's own scope: it owns the unread-body timers, and the permits of calls made outside any scope. */
  readonly scope: Scope.Scope
}

/**
 * How the call ended, for the permits' release (and so for an adaptive
 * limit): a 429 or a 5xx is a failure to learn from (`isFailureStatus`).
 */
const endingOf = (response: HttpClientResponse.HttpClientResponse): Exit.Exit<void, number> =>
  isFailureStatus(response.status) ? Exit.fail(response.status) : Exit.void

/** The permits of a body nobody started reading go back as an interruption would: the hold says nothing of the upstream. */
const unread = Exit.interrupt(FiberId.none)

/**
 * A response whose permits are held by `scope`: reading the body to its
 * end (or failing, or being interrupted while reading) closes the scope and
 * releases them, ended as the call ended. A body nobody has started to read
 * `unreadBodyTimeout` after the headers arrived gives them back then (it
 * stays readable, without a permit). Everything else is the original
 * response's.
 */
class LimitedResponse implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private reading = false
  timer: Fiber.RuntimeFiber<void> | undefined = undefined

  constructor(
    readonly original: HttpClientResponse.HttpClientResponse,
    readonly scope: Scope.CloseableScope,
    readonly ending: Exit.Exit<void, number>
  ) {}

  /** The first read claims the permits for itself: the unread timer stops. */
  private claim(): boolean {
    if (this.reading) return false
    this.reading = true
    this.timer?.unsafeInterruptAsFork(FiberId.none)
    return true
  }

  /** Fired by the timer: nobody started reading in time. */
  readonly expire: Effect.Effect<void> = Effect.suspend(() =>
    this.reading ? Effect.void : Scope.close(this.scope, unread)
  )

  private done(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    return Scope.close(this.scope, Exit.isSuccess(exit) ? this.ending : exit)
  }

  private whileReading<A, E>(body: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.suspend(() => this.claim() ? Effect.onExit(body, (exit) => this.done(exit)) : body)
  }

  get request() {
    return this.original.request
  }
  get status() {
    return this.original.status
  }
  get headers() {
    return this.original.headers
  }
  get cookies() {
    return this.original.cookies
  }
  get remoteAddress() {
    return this.original.remoteAddress
  }
  get formData() {
    return this.whileReading(this.original.formData)
  }
  get text() {
    return this.whileReading(this.original.text)
  }
  get json() {
    return this.whileReading(this.original.json)
  }
  get urlParamsBody() {
    return this.whileReading(this.original.urlParamsBody)
  }
  get arrayBuffer() {
    return this.whileReading(this.original.arrayBuffer)
  }
  get stream() {
    return Stream.unwrap(Effect.sync(() =>
      this.claim() ? Stream.ensuringWith(this.original.stream, (exit) => this.done(exit)) : this.original.stream
    ))
  }
  toJSON() {
    return this.original.toJSON()
  }
  toString() {
    return Inspectable.format(this.toJSON())
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
}

/**
 * Hands the permits held by `scope` to the response: a body to read gets
 * the unread timer, forked into the client's scope (closing the client
 * stops it) and stopped when the permits go back some other way.
 */
const respond = (
  policy: Policy,
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  scope: Scope.CloseableScope
): Effect.Effect<HttpClientResponse.HttpClientResponse> => {
  if (hasNoBody(request.method, response.status, response.headers["content-length"])) return Effect.as(Scope.close(scope, endingOf(response)), response)
  const limited = new LimitedResponse(response, scope, endingOf(response))
  // Forked from the attempt's uninterruptible region: the sleep must be
  // made interruptible, or stopping the timer would wait it out.
  return Effect.interruptible(Effect.sleep(policy.options.unreadBodyTimeout)).pipe(
    Effect.zipRight(limited.expire),
    Effect.forkIn(policy.scope),
    Effect.flatMap((timer) => {
      limited.timer = timer
      return Scope.addFinalizer(scope, Effect.sync(() => timer.unsafeInterruptAsFork(FiberId.none)))
    }),
    Effect.as(limited)
  )
}

type Verdict =
  | { readonly _tag: "Done"; readonly response: HttpClientResponse.HttpClientResponse }
  | { readonly _tag: "Retry"; readonly delay: Duration.Duration; readonly state: unknown; readonly status: number }

/** Asks the schedule whether a retryable answer is retried, and after how long. */
const decide = (
  policy: Policy,
  retryable: boolean,
  state: unknown,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<Option.Option<Omit<Extract<Verdict, { _tag: "Retry" }>, "_tag">>> => {
  const retry = policy.options.retry
  const schedule = policy.schedule
  if (!retryable || retry === undefined || schedule === undefined || !retriesStatus(retry, response.status)) {
    return Effect.succeedNone
  }
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const retryAfter = parseRetryAfter(response.headers["retry-after"], { now, max: retry.maxDelay })
    return Effect.map(schedule.step(now, { status: response.status, retryAfter }, state), ([next, _, decision]) =>
      ScheduleDecision.isDone(decision)
        ? Option.none()
        : Option.some({
          delay: Duration.millis(Math.max(0, Intervals.start(decision.intervals) - now)),
          state: next,
          status: response.status
        }))
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
  state: unknown
): Effect.Effect<Verdict, E | BusyError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      Scope.fork(Option.getOrElse(outer, () => policy.scope), ExecutionStrategy.sequential),
      (scope) =>
        Effect.gen(function*() {
          yield* restore(policy.acquire(scope))
          if (policy.rateLimiter !== undefined) {
            yield* restore(policy.rateLimiter(Effect.void)).pipe(
              Effect.withSpan("LimitedHttpClient.rateLimit", { captureStackTrace: false })
            )
          }
          const response = yield* restore(send)
          const retry = yield* decide(policy, retryable, state, response)
          if (Option.isNone(retry)) return { _tag: "Done", response: yield* respond(policy, request, response, scope) } as const
          // Read the refusal to its end so that its connection is free for
          // the next request, then give the permits back before sleeping.
          yield* restore(Effect.ignore(response.arrayBuffer))
          yield* Scope.close(scope, endingOf(response))
          return { _tag: "Retry", ...retry.value } as const
        }).pipe(Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))))
    )
  )

/** Runs a request under a policy: attempts, with the sleeps between them holding nothing. */
const run = <E, R>(
  policy: Policy,
  send: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse, E | BusyError, R> =>
  Effect.flatMap(Effect.serviceOption(Scope.Scope), (outer) => {
    const retryable = mayRetry(policy.options.retry, request.method)
    const loop = (state: unknown, retries: number): Effect.Effect<HttpClientResponse.HttpClientResponse, E | BusyError, R> =>
      Effect.flatMap(attempt(policy, send, request, outer, retryable, state), (verdict) =>
        verdict._tag === "Done"
          ? Effect.succeed(verdict.response)
          : Effect.sleep(verdict.delay).pipe(
            Effect.withSpan("LimitedHttpClient.retryWait", {
              attributes: {
                "http.response.status_code": verdict.status,
                "retry.attempt": retries + 1,
                "retry.delay_ms": Duration.toMillis(verdict.delay)
              },
              captureStackTrace: false
            }),
            Effect.zipRight(Effect.suspend(() => loop(verdict.state, retries + 1)))
          ))
    return loop(policy.schedule?.initial, 0)
  })

/** Builds one host's policy: checks the options against the limiter in context, makes the rate limiter. */
const makePolicy = (
  prefix: string,
  options: LimitedHttpClient.Options<Limiter.NonEmptyResources>
): Effect.Effect<Policy, LimiterConfigError, Scope.Scope | Limiter.Limiter> =>
  Effect.gen(function*() {
    const limiter = yield* Limiter.Limiter
    const valid = validateOptions(prefix, options, limiter)
    if (Either.isLeft(valid)) return yield* Effect.fail(valid.left)
    const checked = valid.right
    const rateLimiter = checked.rate === undefined ? undefined : yield* RateLimiter.make(checked.rate)
    // The acquisition gets the limiter and the resources' semaphores from
    // here, where they are known to be, and the permits' scope per call.
    const here = yield* Effect.context<never>()
    const context = checked.resources.reduce(
      (acc, resource) => Context.add(acc, resource, Context.unsafeGet(here as Context.Context<unknown>, resource)),
      Context.make(Limiter.Limiter, limiter) as Context.Context<unknown>
    )
    const take: Effect.Effect<void, BusyError, Scope.Scope> = (Limiter.acquire as any)(checked.resources, {
      timeout: checked.timeout,
      partition: checked.partition
    })
    return {
      options: checked,
      acquire: (scope) => Effect.provide(take, Context.add(context, Scope.Scope, scope) as Context.Context<Scope.Scope>),
      scope: yield* Effect.scope,
      rateLimiter,
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

/** @internal */
export const make = dual<
  (
    options: LimitedHttpClient.Options<Limiter.NonEmptyResources>
  ) => <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ) => Effect.Effect<HttpClient.HttpClient.With<E | BusyError, R>, LimiterConfigError, Scope.Scope | Limiter.Limiter>,
  <E, R>(
    client: HttpClient.HttpClient.With<E, R>,
    options: LimitedHttpClient.Options<Limiter.NonEmptyResources>
  ) => Effect.Effect<HttpClient.HttpClient.With<E | BusyError, R>, LimiterConfigError, Scope.Scope | Limiter.Limiter>
>(2, (client, options) =>
  Effect.map(makePolicy("", options), (policy) => decorate(client, () => policy)).pipe(
    Effect.withSpan("LimitedHttpClient.make", { captureStackTrace: false })
  ))

/** @internal */
export const makeKeyed = dual<
  (
    hosts: LimitedHttpClient.Hosts
  ) => <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ) => Effect.Effect<HttpClient.HttpClient.With<E | BusyError, R>, LimiterConfigError, Scope.Scope | Limiter.Limiter>,
  <E, R>(
    client: HttpClient.HttpClient.With<E, R>,
    hosts: LimitedHttpClient.Hosts
  ) => Effect.Effect<HttpClient.HttpClient.With<E | BusyError, R>, LimiterConfigError, Scope.Scope | Limiter.Limiter>
>(2, (client, hosts) =>
  Effect.gen(function*() {
    const policies = new Map<string, Policy>()
    for (const [host, options] of Object.entries(hosts)) {
      const valid = validateHost(host)
      if (Either.isLeft(valid)) return yield* Effect.fail(valid.left)
      policies.set(host, yield* makePolicy(hostPrefix(host), options))
    }
    return decorate(client, (request) => {
      const host = hostOf(request.url)
      return host === undefined ? undefined : policies.get(host)
    })
  }).pipe(Effect.withSpan("LimitedHttpClient.makeKeyed", { captureStackTrace: false })))

/**
 * An `HttpClient` in context fails with `HttpClientError` only, so a
 * `BusyError` travels as a `RequestError` whose `cause` it is. Its reason
 * is `"Encode"` — the request was never put on the wire — and not
 * `"Transport"`: the platform's transient-retry policies (`retryTransient`)
 * retry a transport failure at once, which against local overload only
 * queues the same request again.
 *
 * @internal
 */
export const busyAsRequestError = <R>(
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError | BusyError, R>
): HttpClient.HttpClient.With<HttpClientError.HttpClientError, R> =>
  HttpClient.makeWith(
    Effect.flatMap((request: HttpClientRequest.HttpClientRequest) =>
      Effect.catchIf(
        client.execute(request),
        (error): error is BusyError => error._tag === "BusyError",
        (busy) =>
          Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Encode",
              cause: busy,
              description: refusedDescription(busy.message)
            })
          )
      )
    ),
    Effect.succeed<HttpClientRequest.HttpClientRequest>
  )

/** @internal */
export const layer = (
  options: LimitedHttpClient.Options<Limiter.NonEmptyResources>
): Layer.Layer<HttpClient.HttpClient, LimiterConfigError, HttpClient.HttpClient | Limiter.Limiter> =>
  Layer.scoped(HttpClient.HttpClient, Effect.flatMap(HttpClient.HttpClient, make(options)).pipe(Effect.map(busyAsRequestError)))

/** @internal */
export const layerKeyed = (
  hosts: LimitedHttpClient.Hosts
): Layer.Layer<HttpClient.HttpClient, LimiterConfigError, HttpClient.HttpClient | Limiter.Limiter> =>
  Layer.scoped(HttpClient.HttpClient, Effect.flatMap(HttpClient.HttpClient, makeKeyed(hosts)).pipe(Effect.map(busyAsRequestError)))

/** @internal */
export const isBusy = (error: unknown): error is HttpClientError.RequestError =>
  HttpClientError.isHttpClientError(error) && error._tag === "RequestError" &&
  typeof error.cause === "object" && error.cause !== null && (error.cause as { _tag?: unknown })._tag === "BusyError"
