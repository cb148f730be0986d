import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import { LimiterConfigError } from "../LimiterConfigError.js"
import type * as Resource from "../Resource.js"
import * as Semaphore from "../Semaphore.js"
import { renderValue, validateCapacity, validateTimeout } from "./options.js"

/** @internal */
export class LimiterTag extends Context.Tag("effect-concurrency-limiter/Limiter")<LimiterTag, Limiter.Service>() {}

const resolve = <A>(value: A | Config.Config<A>): Effect.Effect<A, ConfigError.ConfigError> =>
  Config.isConfig(value) ? value : Effect.succeed(value as A)

const resolveUnknown = (value: unknown): Effect.Effect<unknown, ConfigError.ConfigError> =>
  Config.isConfig(value) ? value : Effect.succeed(value)

const fromEither = <A>(either: Either.Either<A, LimiterConfigError>): Effect.Effect<A, LimiterConfigError> =>
  Either.isRight(either) ? Effect.succeed(either.right) : Effect.fail(either.left)

const invalid = (field: string, value: unknown, expected: string) =>
  Effect.fail(new LimiterConfigError({ field, value: renderValue(value), expected }))

/** @internal */
export const make = Effect.fnUntraced(function*(options: Limiter.Options<ReadonlyArray<Resource.Resource.Any>>) {
  const resources: ReadonlyArray<Resource.Resource.Any> = options.resources
  if (!Array.isArray(resources) || resources.length === 0) {
    return yield* invalid("resources", resources, "a non-empty list of resources")
  }
  const timeout = yield* fromEither(validateTimeout("timeout", yield* resolveUnknown(options.timeout)))
  const enabled = yield* resolve(options.enabled ?? true)

  const rank = new Map<string, number>()
  const semaphores: Array<Semaphore.Semaphore> = []
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i]
    const field = `resources[${i}]`
    if (typeof resource.name !== "string" || resource.name.length === 0) {
      return yield* invalid(`${field}.name`, resource.name, "a non-empty string")
    }
    if (rank.has(resource.key)) {
      return yield* invalid(`${field}.name`, resource.name, `a name not already listed (resources[${rank.get(resource.key)}])`)
    }
    rank.set(resource.key, i)
    const capacity = yield* fromEither(
      validateCapacity(`${field}.capacity (resource "${resource.name}")`, yield* resolveUnknown(resource.capacity))
    )
    // The one place where resources get their semaphores.
    semaphores.push(Semaphore.unsafeMake(capacity))
  }

  const service: Limiter.Service = {
    timeout,
    enabled,
    resources,
    rankOf: (resource) => rank.get(resource.key),
    stats: Effect.sync(() =>
      resources.map((resource, i) => ({ resource: resource.name, ...semaphores[i].unsafeStats() }))
    )
  }
  let context = Context.make(LimiterTag, service) as Context.Context<unknown>
  for (let i = 0; i < resources.length; i++) {
    context = Context.add(context, resources[i], semaphores[i])
  }
  return context
})

/** @internal */
export const layer = <const Resources extends Limiter.NonEmptyResources>(
  options: Limiter.Options<Resources>
): Layer.Layer<LimiterTag | Resource.Resource.Identifiers<Resources>, LimiterConfigError | ConfigError.ConfigError> =>
  Layer.effectContext(make(options)) as any

/** Throws at definition time: a guard listing a resource twice is a bug in the app, like a bad route. */
const checkDistinct = (resources: ReadonlyArray<Resource.Resource.Any>): void => {
  if (!Array.isArray(resources) || resources.length === 0) {
    throw new TypeError("Limiter.withResources: expected a non-empty list of resources")
  }
  const seen = new Set<string>()
  for (const resource of resources) {
    if (seen.has(resource.key)) {
      throw new TypeError(`Limiter.withResources: resource "${resource.name}" is listed twice`)
    }
    seen.add(resource.key)
  }
}

interface Plan {
  readonly limiter: Limiter.Service
  readonly ordered: ReadonlyArray<Resource.Resource.Any>
}

/** Sorts a guard's resources into the limiter's canonical order, so that no two guards can deadlock. */
const planFor = (limiter: Limiter.Service, resources: ReadonlyArray<Resource.Resource.Any>): Plan => {
  for (const resource of resources) {
    if (limiter.rankOf(resource) === undefined) {
      throw new Error(
        `Limiter.withResources: resource "${resource.name}" is not listed in Limiter.layer({ resources }), ` +
          "so it has no place in the acquisition order"
      )
    }
  }
  const ordered = [...resources].sort((a, b) => limiter.rankOf(a)! - limiter.rankOf(b)!)
  return { limiter, ordered }
}

/**
 * A `BusyError` is an expected outcome under overload, not a bug: its fields
 * are known to be valid and a stack trace would say nothing, so both the
 * validation and the trace are skipped to keep a 503 cheap.
 */
const makeBusyError = (resource: string, waited: Duration.Duration): BusyError => {
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new BusyError({ resource, waited }, { disableValidation: true })
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
}

/** Releases one permit of each, last taken first. */
const unsafeReleaseEach = (held: ReadonlyArray<Semaphore.Semaphore>): void => {
  for (let i = held.length - 1; i >= 0; i--) held[i].unsafeRelease(1)
}

/**
 * Runs `self` holding one permit of each of `held`, and releases them in
 * the exit handler itself, however `self` ends. Called inside an
 * uninterruptible region with `self` already restored, so the handler is
 * in place before `self` can be interrupted. It is the fast path's whole
 * cost, so it builds no release effect and adds no region of its own.
 */
const holding = <A, E, R>(self: Effect.Effect<A, E, R>, held: ReadonlyArray<Semaphore.Semaphore>) =>
  Effect.matchCauseEffect(self, {
    onFailure: (cause) => {
      unsafeReleaseEach(held)
      return Effect.failCause(cause)
    },
    onSuccess: (a) => {
      unsafeReleaseEach(held)
      return Effect.succeed(a)
    }
  })

/**
 * Waits for one permit. Only the wait is interruptible (by the deadline, or
 * by the request going away); once the permit is granted, its release is
 * registered before anything can interrupt us.
 */
const takeScoped = (semaphore: Semaphore.Semaphore) =>
  Effect.acquireRelease(Effect.interruptible(semaphore.take(1)), () => semaphore.release(1))

/**
 * The slow path: waits for the resources from `start` on, in canonical
 * order, under one deadline, their releases registered in the scope.
 */
const waitFrom = (
  ordered: ReadonlyArray<Resource.Resource.Any>,
  semaphores: ReadonlyArray<Semaphore.Semaphore>,
  start: number,
  timeout: Duration.Duration
): Effect.Effect<void, BusyError, Scope.Scope> => {
  let waitingFor = ordered[start]
  let takeRest: Effect.Effect<void, never, Scope.Scope> = Effect.void
  for (let i = semaphores.length - 1; i >= start; i--) {
    const next = takeRest
    const resource = ordered[i]
    const semaphore = semaphores[i]
    takeRest = Effect.suspend(() => {
      waitingFor = resource
      return Effect.zipRight(takeScoped(semaphore), next)
    })
  }
  const withDeadline = Duration.isFinite(timeout)
    ? Effect.timeoutFail(takeRest, {
      duration: timeout,
      onTimeout: () => makeBusyError(waitingFor.name, timeout)
    })
    : takeRest
  return Effect.withSpan(withDeadline, "Limiter.acquire", {
    attributes: { "limiter.resources": ordered.slice(start).map((resource) => resource.name) },
    // Under overload every queued request passes here: a stack trace per span
    // would be most of the cost of a 503.
    captureStackTrace: false
  })
}

/**
 * Checks the guard's options once, when the guard is defined, so that a bad
 * guard stops the app at start-up rather than failing requests.
 */
const guard = (resources: Limiter.NonEmptyResources, options?: Limiter.WithResourcesOptions) => {
  checkDistinct(resources)
  const timeoutOverride = options?.timeout === undefined ? undefined : validateTimeout("timeout", options.timeout)
  if (timeoutOverride !== undefined && Either.isLeft(timeoutOverride)) {
    throw new TypeError(`Limiter.withResources: ${timeoutOverride.left.message}`)
  }
  const timeoutOption = timeoutOverride?.right
  let plan: Plan | undefined
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BusyError, R | LimiterTag> =>
    Effect.contextWithEffect((context: Context.Context<LimiterTag>) => {
      const limiter = Context.get(context, LimiterTag)
      if (!limiter.enabled) return self
      if (plan === undefined || plan.limiter !== limiter) plan = planFor(limiter, resources)
      const { ordered } = plan
      return Effect.uninterruptibleMask((restore) => {
        const semaphores = ordered.map((resource) => Context.unsafeGet(context as Context.Context<unknown>, resource))
        // Fast path: every resource free and nobody queued. Taking and
        // installing the release happen in this one uninterruptible step, and
        // no deadline is set up: the common case costs a few synchronous checks.
        let taken = 0
        while (taken < semaphores.length && semaphores[taken].unsafeTryTake(1)) taken++
        if (taken === semaphores.length) return holding(restore(self), semaphores)
        const timeout = timeoutOption ?? limiter.timeout
        return Effect.scopedWith((scope) =>
          // What the fast path already took is released last, after what is waited for below.
          (taken === 0
            ? Effect.void
            : Scope.addFinalizer(scope, Effect.sync(() => unsafeReleaseEach(semaphores.slice(0, taken))))).pipe(
            Effect.zipRight(restore(Scope.extend(waitFrom(ordered, semaphores, taken, timeout), scope))),
            Effect.zipRight(restore(self))
          )
        )
      })
    })
}

/**
 * Data-first and data-last like `dual`, but the data-last form checks its
 * options when called, not when applied.
 *
 * @internal
 */
export function withResources(this: unknown, ...args: ReadonlyArray<any>): any {
  return Effect.isEffect(args[0]) ? guard(args[1], args[2])(args[0]) : guard(args[0], args[1])
}
