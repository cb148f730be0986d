import { checkSetCapacity } from "@effect-concurrency-limiter/core/limiter/capacity"
import { hiddenField } from "@effect-concurrency-limiter/core/limiter/hidden"
import * as core from "@effect-concurrency-limiter/core/limiter/plan"
import { currentLimits } from "@effect-concurrency-limiter/core/limiter/plan"
import { applyReload } from "@effect-concurrency-limiter/core/limiter/reload"
import { resourceStats } from "@effect-concurrency-limiter/core/limiter/stats"
import { limitDefectMessage } from "@effect-concurrency-limiter/core/limit/adaptiveCapacity"
import { tryHoldEach } from "@effect-concurrency-limiter/core/semaphore/grants"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as FiberHandle from "effect/FiberHandle"
import * as FiberSet from "effect/FiberSet"
import type { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import { LimiterConfigError } from "../LimiterConfigError.js"
import * as Resource from "../Resource.js"
import { BusyErrors } from "./busyErrors.js"
import { Deadlines } from "./deadlines.js"
import { defectReporter } from "./defects.js"
import * as Limit from "../Limit.js"
import { AdaptiveCapacity } from "./adaptive.js"
import { checkGuard, twoDefinitions } from "./guardChecks.js"
import { checkNewCapacity, readSettings } from "./limiterSettings.js"
import { makeSeries, ResourceMetrics } from "./metrics.js"
import { annotateCurrentSpan } from "./spanAttributes.js"
import {
  fromChecked,
  fromEither,
  orDefault,
  resolveUnknown,
  resourceField,
  validateBoolean,
  validateOrder,
  validatePartitions,
  validateResourceList,
  validateTimeout
} from "./options.js"
import { holding, type Outcome, QueueFull, releaseGrants, SemaphoreImpl, unsafeImpl, type Waiter } from "./semaphore.js"

/** @internal */
export class LimiterTag extends Context.Tag("effect-concurrency-limiter/Limiter")<LimiterTag, Limiter.Service>() {}

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
 * their layout, so that a guard finds them wherever the service came from —
 * even from another copy of this package in the same process.
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

const internals = hiddenField<Limiter.Service, Internals>("effect-concurrency-limiter/Limiter/internals/1")
const attachInternals = internals.attach

/**
 * Makes `service` a limiter that `Limiter.withResources` guards through
 * `backend` (for `RedisLimiter.layer`).
 *
 * @internal
 */
export const registerRemote = (service: Limiter.Service, backend: RemoteBackend, busyErrors: BusyErrors): void => {
  attachInternals(service, { deadlines: undefined, busyErrors, remote: backend })
}

/** @internal */
export const make = Effect.fnUntraced(function*(options: Limiter.Options<ReadonlyArray<Resource.Resource.Any>>) {
  const resources: ReadonlyArray<Resource.Resource.Any> = options.resources
  const rank = yield* fromEither(validateResourceList(resources))
  let settings = yield* readSettings(options)
  const metrics = yield* fromEither(validateBoolean("metrics", yield* resolveUnknown(orDefault(options.metrics, true))))
  const series = yield* makeSeries(options.name, resources.map((resource) => resource.name), metrics)
  const clock = yield* Effect.clock
  // Fibers of the limiter's own (the deadline timer, defect reports) belong
  // to the layer's scope: closing the layer stops them.
  const runTimer = yield* FiberHandle.makeRuntime<never, never, void>()
  const runLog = yield* FiberSet.makeRuntime<never, void, never>()

  // The one place where resources get their semaphores.
  const semaphores: Array<SemaphoreImpl> = []
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i]
    const order = yield* fromEither(validateOrder(resourceField(resources, i, "order"), orDefault(resource.order, "fifo")))
    const partitions = resource.partitions === undefined ? undefined : yield* fromEither(
      validatePartitions(resourceField(resources, i, "partitions"), resource.partitions)
    )
    const semaphore = new SemaphoreImpl(settings.resources[i].capacity, {
      order,
      maxWaiting: settings.resources[i].maxWaiting,
      partitions
    })
    const observer = series === null ? null : new ResourceMetrics(series, resource.name, semaphore, clock)
    semaphore.observer = Limit.isLimit(resource.capacity)
      ? new AdaptiveCapacity(
        resource.capacity,
        settings.resources[i].capacity,
        semaphore,
        clock,
        observer,
        defectReporter(
          runLog,
          clock,
          limitDefectMessage(resource.name)
        )
      )
      : observer
    // `yield* Db` hands out the semaphore: its `resize` is checked as `setCapacity` is.
    semaphore.checkResize = (capacity) => {
      const checked = checkNewCapacity(resources, i, capacity)
      if (Either.isLeft(checked)) throw checked.left
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
    stats: Effect.sync(() => resources.map((resource, i) => resourceStats(resource.name, semaphores[i]))),
    setCapacity: (resource, capacity) =>
      Effect.suspend(() =>
        Effect.map(
          fromEither(fromChecked(checkSetCapacity(resources, rank.get(resource.key), resource, capacity))),
          (i) => {
            semaphores[i].resizeTo(capacity)
          }
        )
      ),
    reload: Effect.flatMap(Effect.suspend(() => readSettings(options)), (next) =>
      Effect.sync(() => {
        settings = next
        applyReload(semaphores, resources, next.resources, Config.isConfig)
      }))
  }
  attachInternals(service, { deadlines, busyErrors: new BusyErrors() })
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
  Layer.scopedContext(make(options)) as any

/** @internal */
export const setCapacity = (
  resource: Resource.Resource.Any,
  capacity: number
): Effect.Effect<void, LimiterConfigError, LimiterTag> =>
  Effect.flatMap(LimiterTag, (limiter) => limiter.setCapacity(resource, capacity))

/** @internal */
export const reload: Effect.Effect<void, LimiterConfigError | ConfigError.ConfigError, LimiterTag> = Effect.flatMap(
  LimiterTag,
  (limiter) => limiter.reload
)

/**
 * What a guard resolves once per limiter: its resources in canonical order,
 * their semaphores and the queue (partition) it waits in on each, the
 * limiter's internals, its adaptive resources (the core's `Plan`).
 *
 * @internal
 */
export type Plan = core.Plan<Limiter.Service, Resource.Resource.Any, Outcome, SemaphoreImpl, Internals>

const messages: core.PlanMessages<Resource.Resource.Any> = { library: "effect-concurrency-limiter", twoDefinitions }

/**
 * Sorts a guard's resources into the limiter's canonical order, so that no two guards can deadlock.
 *
 * @internal
 */
export const planFor = (
  limiter: Limiter.Service,
  resources: ReadonlyArray<Resource.Resource.Any>,
  partition: string | undefined,
  context: Context.Context<unknown>,
  api = "Limiter.withResources"
): Plan =>
  core.planFor(
    limiter,
    resources,
    partition,
    (resource) => unsafeImpl(Context.unsafeGet(context, resource)),
    internals.get(limiter),
    api,
    messages
  )

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
): (limiter: Limiter.Service, context: Context.Context<unknown>) => Plan =>
  core.planCache((limiter, context) => planFor(limiter, resources, partition, context, api))

/**
 * Runs `self` after recording, on the current span, the limit of each of the
 * plan's adaptive resources when the call got its permits (an attribute
 * such as `limiter.Db.limit`): a trace then shows the limit a slow call ran
 * under. Resources with a fixed capacity add nothing.
 */
const withLimits = <A, E, R>(plan: Plan, self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const limits = currentLimits(plan.adaptive)
  return limits === undefined ? self : Effect.zipRight(annotateCurrentSpan(limits), self)
}


/**
 * Waits, in canonical order, for one permit of each of `semaphores` from
 * `start` on, adding each grant to `grants`, until the deadline. On a
 * failure (the deadline, a full queue, or an interruption of the wait)
 * every grant taken so far, the fast path's included, is released before
 * the failure goes on.
 *
 * The deadline lives inside the semaphore's wait: a waiter registers it with
 * the limiter's `Deadlines` (one timer fiber for all waiters) instead of
 * racing its wait against a sleep. `Effect.timeoutFail` forked two fibers
 * per waiter, and under overload every queued request is a waiter: with
 * them, a 503 cost the server 1.9× the CPU it costs now (docs/reject-path.md). The
 * reference formulation — `Effect.acquireRelease` per resource under one
 * `Effect.timeoutFail` — is kept in test/reference-guard.ts, and a property
 * test checks that both end every guard the same way at the same time.
 */
const waitFrom = (
  { internals, ordered, queues, semaphores }: Plan,
  grants: Array<Waiter>,
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
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
          if (!Cause.isFailType(cause)) return Effect.failCause(cause as Cause.Cause<never>)
          const reason = cause.error === QueueFull ? "queue-full" : "timeout"
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
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
  timeout: Duration.Duration,
  use: (grants: ReadonlyArray<Waiter>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | BusyError, R> => {
  const { queues, semaphores } = plan
  const grants: Array<Waiter> = []
  if (tryHoldEach(semaphores, queues, grants)) return use(grants)
  return Effect.zipRight(waitFrom(plan, grants, restore, timeout), Effect.suspend(() => use(grants)))
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
  const timeoutOverride = options?.timeout === undefined ? undefined : validateTimeout("timeout", options.timeout)
  if (timeoutOverride !== undefined && Either.isLeft(timeoutOverride)) {
    throw new TypeError(`${api}: ${timeoutOverride.left.message}`)
  }
  return { partition, timeoutOption: timeoutOverride?.right }
}

const guard = (resources: Limiter.NonEmptyResources, options?: Limiter.WithResourcesOptions) => {
  const { partition, timeoutOption } = checkOptions(resources, options, "Limiter.withResources")
  const planOf = planCache(resources, partition, "Limiter.withResources")
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BusyError, R | LimiterTag> =>
    Effect.contextWithEffect((context: Context.Context<LimiterTag>) => {
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
