/**
 * The limiter's layer and its guards: each resource gets a semaphore, one
 * deadline timer serves every waiter, and a guard takes one permit of each
 * of its resources in canonical order under one deadline.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberHandle from "effect/FiberHandle"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import type { BusyError } from "../BusyError.js"
import * as Limit from "../Limit.js"
import type * as Limiter from "../Limiter.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import type * as Resource from "../Resource.js"
import { AdaptiveCapacity } from "./adaptive.js"
import { BusyErrors } from "./busyErrors.js"
import { Deadlines } from "./deadlines.js"
import { defectReporter } from "./defects.js"
import { checkGuard, sameDefinition, twoDefinitions } from "./guardChecks.js"
import { checkNewCapacity, readSettings } from "./limiterSettings.js"
import { makeSeries, ResourceMetrics } from "./metrics.js"
import {
  orDefault,
  refuse,
  renderValue,
  resolveUnknown,
  resourceField,
  validateBoolean,
  validateOrder,
  validatePartitions,
  validateResourceList,
  validateTimeout
} from "./options.js"
import { holding, type Queue, QueueFull, type Restore, releaseGrants, SemaphoreImpl, unsafeImpl, type Waiter } from "./semaphore.js"

/** @internal */
export class LimiterTag extends Context.Service<LimiterTag, Limiter.Service>()("effect-concurrency-limiter/Limiter") {}

/**
 * A limiter whose permits are held outside this process (Redis): its guards
 * hand their whole acquisition, and the holding, to it.
 *
 * @internal
 */
export interface RemoteBackend {
  readonly guard: <A, E, R>(
    self: Effect.Effect<A, E, R>,
    ordered: ReadonlyArray<Resource.Resource.Any>,
    timeout: Duration.Duration
  ) => Effect.Effect<A, E | BusyError, R>
}

/**
 * What each limiter keeps off its public service: its deadline timer, and
 * its refusals. They travel on the service itself, under a symbol that names
 * their layout, so that a guard finds them wherever the service came from.
 */
interface Internals {
  /** `undefined` for a remote limiter, whose waits are not timed here. */
  readonly deadlines: Deadlines | undefined
  readonly remote?: RemoteBackend | undefined
  /**
   * One `BusyError` per resource, reason and timeout, reused for every
   * refusal, even by guards made inside a handler (a new guard per request).
   */
  readonly busyErrors: BusyErrors
}

const InternalsId: unique symbol = Symbol.for("effect-concurrency-limiter/effect4/Limiter/internals/1") as any

/**
 * Makes `service` a limiter that `Limiter.withResources` and
 * `Limiter.acquire` guard through `backend` (for `RedisLimiter.layer`).
 *
 * @internal
 */
export const registerRemote = (service: Limiter.Service, backend: RemoteBackend, busyErrors: BusyErrors): void => {
  const internals: Internals = { deadlines: undefined, busyErrors, remote: backend }
  Object.defineProperty(service, InternalsId, { value: internals, enumerable: false })
}

const internalsOf = (service: Limiter.Service): Internals | undefined =>
  (service as Limiter.Service & { readonly [InternalsId]?: Internals })[InternalsId]

/** Builds the limiter's context: the service and each resource's semaphore. */
const make = (
  options: Limiter.Options<ReadonlyArray<Resource.Resource.Any>>
): Effect.Effect<Context.Context<unknown>, LimiterConfigError | Config.ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const resources: ReadonlyArray<Resource.Resource.Any> = options.resources
    const rank = yield* Effect.fromResult(validateResourceList(resources))
    let settings = yield* readSettings(options)
    const metrics = yield* Effect.fromResult(
      validateBoolean("metrics", yield* resolveUnknown(orDefault(options.metrics, true)))
    )
    const series = yield* makeSeries(options.name, resources.map((resource) => resource.name), metrics)
    const clock = yield* Clock.Clock
    // Fibers of the limiter's own (the deadline timer, defect reports) belong
    // to the layer's scope: closing the layer stops them.
    const runTimer = yield* FiberHandle.makeRuntime<never, never, void>()
    const runLog = yield* FiberSet.makeRuntime<never, void, never>()

    // The one place where resources get their semaphores.
    const semaphores: Array<SemaphoreImpl> = []
    for (let i = 0; i < resources.length; i++) {
      const resource = resources[i]
      const order = yield* Effect.fromResult(
        validateOrder(resourceField(resources, i, "order"), resource.order === undefined ? "fifo" : resource.order)
      )
      const partitions = resource.partitions === undefined ? undefined : yield* Effect.fromResult(
        validatePartitions(resourceField(resources, i, "partitions"), resource.partitions)
      )
      const semaphore = new SemaphoreImpl(settings.resources[i].capacity, {
        order,
        maxWaiting: settings.resources[i].maxWaiting,
        partitions
      })
      const observer = series === null ? null : new ResourceMetrics(series, resource.name, semaphore, clock)
      semaphore.observer = observer
      if (Limit.isLimit(resource.capacity)) {
        semaphore.observer = new AdaptiveCapacity(
          resource.capacity,
          settings.resources[i].capacity,
          semaphore,
          clock,
          observer,
          defectReporter(
            runLog,
            clock,
            `Limiter: the Limit of resource ${renderValue(resource.name)} threw or answered a bad limit; ` +
              "the limit stays where it was and the permits were returned"
          )
        )
      }
      // `yield* Db` hands out the semaphore: its `resize` is checked as `setCapacity` is.
      semaphore.checkResize = (capacity) => {
        const checked = checkNewCapacity(resources, i, capacity)
        if (Result.isFailure(checked)) throw checked.failure
      }
      semaphores.push(semaphore)
    }

    // The one timer of all this limiter's waiters, on the layer's clock (the
    // TestClock in tests) and closed with the layer.
    const deadlines = new Deadlines(clock, runTimer)
    yield* Effect.addFinalizer(() => deadlines.close())

    const service: Limiter.Service = {
      // Getters: `reload` replaces the settings, and guards read them per request.
      get timeout() {
        return settings.timeout
      },
      get enabled() {
        return settings.enabled
      },
      resources,
      rankOf: (resource) => rank.get(resource.key),
      stats: Effect.sync(() => resources.map((resource, i) => statsOf(resource, semaphores[i]))),
      setCapacity: (resource, capacity) =>
        Effect.suspend(() => {
          const i = rank.get(resource.key)
          if (i === undefined) return notListed(resource)
          if (!sameDefinition(resources[i], resource)) {
            return refuse(
              "resource",
              resource.name,
              "the resource listed in Limiter.layer under that name, not another definition with other options " +
                "(a resource is known by its name: define each once)"
            )
          }
          return Effect.map(Effect.fromResult(checkNewCapacity(resources, i, capacity)), (n) => {
            semaphores[i].resizeTo(n)
          })
        }),
      reload: Effect.flatMap(Effect.suspend(() => readSettings(options)), (next) =>
        Effect.sync(() => {
          settings = next
          // Only what comes from `Config` is re-read: a capacity given as a
          // number keeps whatever `setCapacity` made of it.
          for (let i = 0; i < semaphores.length; i++) {
            const semaphore = semaphores[i]
            const { capacity, maxWaiting } = next.resources[i]
            if (Config.isConfig(resources[i].maxWaiting)) semaphore.maxWaiting = maxWaiting
            if (Config.isConfig(resources[i].capacity) && semaphore.capacity !== capacity) {
              semaphore.resizeTo(capacity)
            }
          }
        }))
    }
    const internals: Internals = { deadlines, busyErrors: new BusyErrors() }
    Object.defineProperty(service, InternalsId, { value: internals, enumerable: false })
    let context = Context.make(LimiterTag, service) as Context.Context<unknown>
    for (let i = 0; i < resources.length; i++) {
      context = Context.add(context, resources[i], semaphores[i])
    }
    return context
  })

const notListed = (resource: Resource.Resource.Any) =>
  refuse("resource", resource.name, "a resource listed in Limiter.layer({ resources })")

const statsOf = (resource: Resource.Resource.Any, semaphore: SemaphoreImpl): Limiter.ResourceStats => {
  const stats = { resource: resource.name, ...semaphore.unsafeStats(), maxWaiting: semaphore.maxWaiting }
  if (!semaphore.partitioned) return stats
  return {
    ...stats,
    partitions: semaphore.queues.slice(1).map((queue) => ({
      partition: queue.name!,
      guaranteed: queue.guaranteed,
      inUse: queue.inUse,
      waiting: queue.waiting
    }))
  }
}

/** @internal */
export const layer = <const Resources extends Limiter.NonEmptyResources>(
  options: Limiter.Options<Resources>
): Layer.Layer<LimiterTag | Resource.Resource.Identifiers<Resources>, LimiterConfigError | Config.ConfigError> =>
  Layer.effectContext(make(options)) as any

/** @internal */
export const setCapacity = (
  resource: Resource.Resource.Any,
  capacity: number
): Effect.Effect<void, LimiterConfigError, LimiterTag> =>
  Effect.flatMap(LimiterTag, (limiter) => limiter.setCapacity(resource, capacity))

/** @internal */
export const reload: Effect.Effect<void, LimiterConfigError | Config.ConfigError, LimiterTag> = Effect.flatMap(
  LimiterTag,
  (limiter) => limiter.reload
)

/**
 * What a guard resolves once per limiter: its resources in canonical order,
 * their semaphores and the queue (partition) it waits in on each, the
 * limiter's internals.
 *
 * @internal
 */
export interface Plan {
  readonly limiter: Limiter.Service
  readonly ordered: ReadonlyArray<Resource.Resource.Any>
  readonly semaphores: ReadonlyArray<SemaphoreImpl>
  readonly queues: ReadonlyArray<Queue>
  readonly internals: Internals
  /** The guard's adaptive resources, whose limit each call records on its span. */
  readonly adaptive: ReadonlyArray<readonly [attribute: string, capacity: AdaptiveCapacity]>
}

/**
 * Sorts a guard's resources into the limiter's canonical order, so that no
 * two guards can deadlock, and finds their semaphores.
 *
 * @internal
 */
export const planFor = (
  limiter: Limiter.Service,
  resources: ReadonlyArray<Resource.Resource.Any>,
  partition: string | undefined,
  context: Context.Context<unknown>,
  api = "Limiter.withResources"
): Plan => {
  for (const resource of resources) {
    const rank = limiter.rankOf(resource)
    if (rank === undefined) {
      throw new Error(
        `${api}: resource "${resource.name}" is not listed in Limiter.layer({ resources }), ` +
          "so it has no place in the acquisition order"
      )
    }
    if (!sameDefinition(limiter.resources[rank], resource)) throw new TypeError(`${api}: ${twoDefinitions(resource)}`)
  }
  const ordered = [...resources].sort((a, b) => limiter.rankOf(a)! - limiter.rankOf(b)!)
  const semaphores = ordered.map((resource) => unsafeImpl(Context.getUnsafe(context, resource)))
  // `checkGuard` made sure the partition exists wherever there are partitions.
  const queues = semaphores.map((semaphore) =>
    semaphore.partitioned ? semaphore.queueNamed(partition!)! : semaphore.queues[0]
  )
  const internals = internalsOf(limiter)
  if (internals === undefined) {
    throw new Error(
      `${api}: the Limiter service in context was not built by Limiter.layer ` +
        "(or by a copy of @effect-concurrency-limiter/effect4 too different from this one)"
    )
  }
  const adaptive = semaphores.flatMap((semaphore, i) =>
    semaphore.observer instanceof AdaptiveCapacity
      ? [[`limiter.${ordered[i].name}.limit`, semaphore.observer] as const]
      : []
  )
  return { limiter, ordered, semaphores, queues, internals, adaptive }
}

/**
 * Runs `self` after recording, on the current span, the limit of each of the
 * plan's adaptive resources when the call got its permits (an attribute
 * such as `limiter.Db.limit`): a trace then shows the limit a slow call ran
 * under. Resources with a fixed capacity add nothing.
 */
const withLimits = <A, E, R>(plan: Plan, self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  if (plan.adaptive.length === 0) return self
  const limits: Record<string, number> = {}
  for (const [attribute, capacity] of plan.adaptive) limits[attribute] = capacity.current
  return Effect.andThen(Effect.annotateCurrentSpan(limits), self)
}

/**
 * Waits, in canonical order, for one permit of each of `semaphores` from
 * `grants.length` on, adding each grant to `grants`, until the deadline. On
 * a failure (the deadline, a full queue, or an interruption of the wait)
 * every grant taken so far, the fast path's included, is released before
 * the failure goes on.
 *
 * The deadline lives inside the semaphore's wait: a waiter registers it with
 * the limiter's `Deadlines` (one timer fiber for all waiters) instead of
 * racing its wait against a sleep, which would fork fibers per waiter.
 */
const waitFrom = (
  { internals, ordered, queues, semaphores }: Plan,
  grants: Array<Waiter>,
  restore: Restore,
  timeout: Duration.Duration
): Effect.Effect<void, BusyError> => {
  const deadlines = Duration.isFinite(timeout) ? internals.deadlines : undefined
  const deadline = deadlines === undefined ? Infinity : deadlines.now() + Duration.toMillis(timeout)
  const from = (i: number): Effect.Effect<void, BusyError> =>
    i === semaphores.length ? Effect.void : Effect.matchCauseEffect(
      semaphores[i].acquireUntil(1, queues[i], restore, deadlines, deadline),
      {
        onFailure: (cause) => {
          // The grants taken so far were never used: nothing to learn from them.
          releaseGrants(grants, "interrupted")
          const failure = cause.reasons.length === 1 ? cause.reasons[0] : undefined
          if (failure === undefined || !Cause.isFailReason(failure)) {
            return Effect.failCause(cause as Cause.Cause<never>)
          }
          const reason = failure.error === QueueFull ? "queue-full" : "timeout"
          return Effect.fail(internals.busyErrors.get(ordered[i].name, reason, timeout))
        },
        onSuccess: (grant) => {
          grant.hold()
          grants.push(grant)
          return from(i + 1)
        }
      }
    )
  return from(grants.length)
}

/**
 * Takes one permit of each of the plan's resources and hands the grants to
 * `use`, all in the caller's uninterruptible region, so that whoever holds
 * them (a guard's exit handler, a scope's finalizer) is in place before
 * anything can interrupt. Fast path: every resource free and nobody queued —
 * taking and handing over happen in one step and no deadline is set up, so
 * the common case costs a few synchronous checks. Otherwise the rest are
 * waited for under `timeout` (see `waitFrom`).
 *
 * @internal
 */
export const takeGrants = <A, E, R>(
  plan: Plan,
  restore: Restore,
  timeout: Duration.Duration,
  use: (grants: ReadonlyArray<Waiter>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | BusyError, R> => {
  const { queues, semaphores } = plan
  const grants: Array<Waiter> = []
  for (let i = 0; i < semaphores.length; i++) {
    const grant = semaphores[i].tryHold(1, queues[i])
    if (grant === null) break
    grants.push(grant)
  }
  if (grants.length === semaphores.length) return use(grants)
  return Effect.andThen(waitFrom(plan, grants, restore, timeout), Effect.suspend(() => use(grants)))
}

/**
 * Checks a guard's (or a scoped acquisition's) options once, when it is
 * defined, so that a bad guard stops the app at start-up rather than
 * failing requests.
 *
 * @internal
 */
export const checkOptions = (
  resources: Limiter.NonEmptyResources,
  options: Limiter.WithResourcesOptions | undefined,
  api: string
): { readonly partition: string | undefined; readonly timeoutOption: Duration.Duration | undefined } => {
  const partition = options?.partition
  checkGuard(resources, partition, api)
  if (options?.timeout === undefined) return { partition, timeoutOption: undefined }
  const timeout = validateTimeout("timeout", options.timeout)
  if (Result.isFailure(timeout)) throw new TypeError(`${api}: ${timeout.failure.message}`)
  return { partition, timeoutOption: timeout.success }
}

/**
 * The guard a plan resolves to, once per limiter; the limiter is looked up
 * in the context of each run, so one guard serves any limiter it meets.
 *
 * @internal
 */
export const planCache = (
  resources: Limiter.NonEmptyResources,
  partition: string | undefined,
  api: string
): (limiter: Limiter.Service, context: Context.Context<unknown>) => Plan => {
  let plan: Plan | undefined
  return (limiter, context) => {
    if (plan === undefined || plan.limiter !== limiter) plan = planFor(limiter, resources, partition, context, api)
    return plan
  }
}

const guard = (resources: Limiter.NonEmptyResources, options?: Limiter.WithResourcesOptions) => {
  const { partition, timeoutOption } = checkOptions(resources, options, "Limiter.withResources")
  const planOf = planCache(resources, partition, "Limiter.withResources")
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BusyError, R | LimiterTag> =>
    Effect.contextWith((context: Context.Context<LimiterTag>) => {
      const limiter = Context.get(context, LimiterTag)
      if (!limiter.enabled) return self
      const plan = planOf(limiter, context as Context.Context<unknown>)
      const remote = plan.internals.remote
      if (remote !== undefined) return remote.guard(self, plan.ordered, timeoutOption ?? limiter.timeout)
      return Effect.uninterruptibleMask((restore) =>
        takeGrants(plan, restore, timeoutOption ?? limiter.timeout, (grants) =>
          holding(withLimits(plan, restore(self)), grants))
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
