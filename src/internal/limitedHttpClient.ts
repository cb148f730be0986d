import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RateLimiter from "effect/RateLimiter"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { BusyError } from "../BusyError.js"
import * as Limiter from "../Limiter.js"
import type * as LimitedHttpClient from "../LimitedHttpClient.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import { validateHost, validateOptions, type ValidOptions, type ValidRetry } from "./limitedHttpClientOptions.js"
import { parseRetryAfter } from "./retryAfter.js"

/** RFC 9110 §9.2.2: a request with one of these methods may be sent twice with the effect of once. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])

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
  readonly guard: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BusyError, R>
  readonly rateLimiter: RateLimiter.RateLimiter | undefined
  readonly schedule: Schedule.Schedule<unknown, RetryInput> | undefined
}

/**
 * Releases the permits of responses dropped unread outside any scope, when
 * they are garbage-collected: the same backstop the platform uses to abort
 * such requests. It is a last resort (its timing is the GC's), not the
 * contract: read the body, or run the call in a scope.
 */
const unreadRegistry = globalValue(
  Symbol.for("effect-concurrency-limiter/LimitedHttpClient/unreadRegistry"),
  () =>
    "FinalizationRegistry" in globalThis
      ? new FinalizationRegistry<Scope.CloseableScope>((scope) => {
        Effect.runFork(Scope.close(scope, Exit.void))
      })
      : undefined
)

/**
 * A response whose permits are held by `scope`: reading the body to its
 * end (or failing, or being interrupted while reading) closes the scope and
 * releases them. Everything else is the original response's.
 */
class LimitedResponse implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId

  constructor(readonly original: HttpClientResponse.HttpClientResponse, readonly scope: Scope.CloseableScope) {
    unreadRegistry?.register(this, scope, this)
  }

  private get release(): Effect.Effect<void> {
    return Effect.suspend(() => {
      unreadRegistry?.unregister(this)
      return Scope.close(this.scope, Exit.void)
    })
  }

  private whileReading<A, E>(body: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.ensuring(body, this.release)
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
    return Stream.ensuring(this.original.stream, this.release)
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

/** Nothing to read: the exchange is over when the headers arrive, and so is the permit. */
const hasNoBody = (request: HttpClientRequest.HttpClientRequest, response: HttpClientResponse.HttpClientResponse) =>
  request.method === "HEAD" || response.status === 204 || response.status === 304 ||
  response.headers["content-length"] === "0"

/**
 * Takes the policy's permits for as long as `scope` stays open. The permits
 * are held by a fiber forked into `scope` that runs `Limiter.withResources`
 * around "wait forever": the guard gives the limiter's own FIFO queue,
 * canonical order, deadline and `BusyError`, and closing the scope interrupts
 * the fiber, which releases whatever it took. Interrupting the wait closes
 * nothing by itself: the caller closes `scope`.
 */
const acquire = (policy: Policy, scope: Scope.Scope): Effect.Effect<void, BusyError> =>
  Effect.flatMap(Deferred.make<void, BusyError>(), (held) =>
    Deferred.succeed(held, undefined).pipe(
      Effect.zipRight(Effect.never),
      policy.guard,
      Effect.onExit((exit) => Exit.isFailure(exit) ? Deferred.failCause(held, exit.cause) : Effect.void),
      Effect.forkIn(scope),
      Effect.zipRight(Deferred.await(held))
    ))

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
  if (!retryable || retry === undefined || schedule === undefined || !retry.statuses.has(response.status)) {
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
      Option.match(outer, {
        // Tied to the caller's scope when there is one, so that a body never
        // read still gives its permits back when that scope closes.
        onSome: (scope) => Scope.fork(scope, ExecutionStrategy.sequential),
        onNone: () => Scope.make()
      }),
      (scope) =>
        Effect.gen(function*() {
          yield* restore(acquire(policy, scope))
          if (policy.rateLimiter !== undefined) {
            yield* restore(policy.rateLimiter(Effect.void)).pipe(
              Effect.withSpan("LimitedHttpClient.rateLimit", { captureStackTrace: false })
            )
          }
          const response = yield* restore(send)
          const retry = yield* decide(policy, retryable, state, response)
          if (Option.isNone(retry)) {
            if (hasNoBody(request, response)) {
              yield* Scope.close(scope, Exit.void)
              return { _tag: "Done", response } as const
            }
            return { _tag: "Done", response: new LimitedResponse(response, scope) } as const
          }
          // Read the refusal to its end so that its connection is free for
          // the next request, then give the permits back before sleeping.
          yield* restore(Effect.ignore(response.arrayBuffer))
          yield* Scope.close(scope, Exit.void)
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
    const retryable = policy.options.retry !== undefined &&
      (policy.options.retry.nonIdempotent || IDEMPOTENT_METHODS.has(request.method))
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
    // The guard runs in the holder fiber of each request; it gets the limiter
    // and the resources' semaphores from here, where they are known to be,
    // and nothing else (the caller's span stays the parent of its spans).
    const here = yield* Effect.context<never>()
    const context = checked.resources.reduce(
      (acc, resource) => Context.add(acc, resource, Context.unsafeGet(here as Context.Context<unknown>, resource)),
      Context.make(Limiter.Limiter, limiter) as Context.Context<unknown>
    )
    const withResources: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BusyError, R | Limiter.Limiter> =
      (Limiter.withResources as any)(checked.resources, { timeout: checked.timeout, partition: checked.partition })
    return {
      options: checked,
      guard: (self) => Effect.provide(withResources(self), context as Context.Context<Limiter.Limiter>),
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

/** The host a request goes to, as `URL.host` spells it; `undefined` for a URL that does not parse. */
const hostOf = (request: HttpClientRequest.HttpClientRequest): string | undefined => {
  try {
    return new URL(request.url).host
  } catch {
    return undefined
  }
}

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
      policies.set(host, yield* makePolicy(`hosts[${JSON.stringify(host)}].`, options))
    }
    return decorate(client, (request) => {
      const host = hostOf(request)
      return host === undefined ? undefined : policies.get(host)
    })
  }).pipe(Effect.withSpan("LimitedHttpClient.makeKeyed", { captureStackTrace: false })))

/**
 * An `HttpClient` in context fails with `HttpClientError` only, so a
 * `BusyError` travels as a `RequestError` whose `cause` it is.
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
            new HttpClientError.RequestError({ request, reason: "Transport", cause: busy, description: busy.message })
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
