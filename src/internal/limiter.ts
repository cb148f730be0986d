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

/** Takes one permit now if nobody waits and one is free; the release is registered in the same step. */
const tryTakeScoped = (semaphore: Semaphore.Semaphore) =>
  Effect.acquireRelease(semaphore.tryTake(1), (taken) => taken ? semaphore.release(1) : Effect.void)

/**
 * Waits for one permit. Only the wait is interruptible (by the deadline, or
 * by the request going away); once the permit is granted, its release is
 * registered before anything can interrupt us.
 */
const takeScoped = (semaphore: Semaphore.Semaphore) =>
  Effect.acquireRelease(Effect.interruptible(semaphore.take(1)), () => semaphore.release(1))

/**
 * Takes the resources one by one in canonical order, releases registered in
 * the caller's scope. A resource that is free and has no queue is taken
 * without setting up the deadline; from the first one that must wait, the
 * rest are taken under one deadline.
 */
const acquire = (
  context: Context.Context<never>,
  ordered: ReadonlyArray<Resource.Resource.Any>,
  timeout: Duration.Duration
): Effect.Effect<void, BusyError, Scope.Scope> => {
  const fastFrom = (i: number): Effect.Effect<void, BusyError, Scope.Scope> => {
    if (i === ordered.length) return Effect.void
    return Effect.flatMap(
      tryTakeScoped(Context.unsafeGet(context, ordered[i])),
      (taken) => taken ? fastFrom(i + 1) : waitFrom(i)
    )
  }
  const waitFrom = (start: number): Effect.Effect<void, BusyError, Scope.Scope> => {
    let waitingFor = ordered[start]
    const takeRest = Effect.forEach(ordered.slice(start), (resource) =>
      Effect.suspend(() => {
        waitingFor = resource
        return takeScoped(Context.unsafeGet(context, resource))
      }), { discard: true })
    const deadline = Duration.isFinite(timeout)
      ? Effect.timeoutFail(takeRest, {
        duration: timeout,
        onTimeout: () => new BusyError({ resource: waitingFor.name, waited: timeout })
      })
      : takeRest
    return Effect.withSpan(deadline, "Limiter.acquire", {
      attributes: { "limiter.resources": ordered.slice(start).map((resource) => resource.name) }
    })
  }
  return fastFrom(0)
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
    Effect.flatMap(LimiterTag, (limiter) => {
      if (!limiter.enabled) return self
      if (plan === undefined || plan.limiter !== limiter) plan = planFor(limiter, resources)
      const { ordered } = plan
      const timeout = timeoutOption ?? limiter.timeout
      return Effect.contextWithEffect((context: Context.Context<never>) =>
        Effect.scopedWith((scope) => Effect.zipRight(Scope.extend(acquire(context, ordered, timeout), scope), self))
      )
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
