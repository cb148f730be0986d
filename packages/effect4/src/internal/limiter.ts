/**
 * The limiter's layer: each resource gets a semaphore (with its queue
 * options, its metrics and, for an adaptive resource, its `Limit`), one
 * deadline timer serves every waiter, and the service reports, resizes and
 * reloads. Guards are in ./guard.ts, their plan in ./plan.ts.
 *
 * @internal
 */
import { checkSetCapacity } from "@effect-concurrency-limiter/core/limiter/capacity"
import { applyReload } from "@effect-concurrency-limiter/core/limiter/reload"
import { resourceStats } from "@effect-concurrency-limiter/core/limiter/stats"
import { limitDefectMessage } from "@effect-concurrency-limiter/core/limit/adaptiveCapacity"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberHandle from "effect/FiberHandle"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as Limit from "../Limit.js"
import type * as Limiter from "../Limiter.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import type * as Resource from "../Resource.js"
import { AdaptiveCapacity } from "./adaptive.js"
import { BusyErrors } from "./busyErrors.js"
import { Deadlines } from "./deadlines.js"
import { defectReporter } from "./defects.js"
import { checkNewCapacity, readSettings } from "./limiterSettings.js"
import { makeSeries, ResourceMetrics } from "./metrics.js"
import {
  fromChecked,
  orDefault,
  resolveUnknown,
  resourceField,
  validateBoolean,
  validateOrder,
  validatePartitions,
  validateResourceList
} from "./options.js"
import { attachInternals } from "./plan.js"
import { SemaphoreImpl } from "./semaphore.js"

export { type RemoteBackend, registerRemote } from "./plan.js"

/** @internal */
export class LimiterTag extends Context.Service<LimiterTag, Limiter.Service>()("effect-concurrency-limiter/Limiter") {}

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
            limitDefectMessage(resource.name)
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
      stats: Effect.sync(() => resources.map((resource, i) => resourceStats(resource.name, semaphores[i]))),
      setCapacity: (resource, capacity) =>
        Effect.suspend(() =>
          Effect.map(
            Effect.fromResult(fromChecked(checkSetCapacity(resources, rank.get(resource.key), resource, capacity))),
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

