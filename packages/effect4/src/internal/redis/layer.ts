/**
 * Builds a `RedisLimiter` layer: checks its options, connects through the
 * app's `Redis` service, and provides the same `Limiter` service and
 * resource tags as `Limiter.layer`, so that `Limiter.withResources` guards
 * through Redis unchanged.
 *
 * @internal
 */
import { ResourceSeries } from "@effect-concurrency-limiter/core/metrics/observer"
import { resourceNameRule } from "@effect-concurrency-limiter/core/redis/keys"
import {
  checkFailure,
  checkPrefix,
  checkRemoteResources,
  checkReplicas,
  checkTimerMillis
} from "@effect-concurrency-limiter/core/redis/options"
import { localShare, Replica } from "@effect-concurrency-limiter/core/redis/replica"
import { checkResourceList } from "@effect-concurrency-limiter/core/options/resources"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import type * as Redis from "effect/persistence/Redis"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Limit from "../../Limit.js"
import type * as Limiter from "../../Limiter.js"
import type { LimiterConfigError } from "../../LimiterConfigError.js"
import type * as RedisLimiter from "../../RedisLimiter.js"
import * as Resource from "../../Resource.js"
import { BusyErrors } from "../busyErrors.js"
import { withResources } from "../guard.js"
import { layer as localLayer, LimiterTag } from "../limiter.js"
import { makeSeries } from "../metrics.js"
import { registerRemote } from "../plan.js"
import {
  fromChecked,
  orDefault,
  refuse,
  resolveUnknown,
  resourceField,
  validateBoolean,
  validateCapacity,
  validateMaxWaiting,
  validateTimeout
} from "../options.js"
import { unsafeImpl } from "../semaphore.js"
import { connect } from "./connection.js"
import { makeGuard, type Unavailable } from "./guard.js"
import { runHeartbeat } from "./leases.js"

type AnyOptions = RedisLimiter.Options<ReadonlyArray<Resource.Resource.Any>>


/** The options `reload` reads again. */
const readSettings = (options: AnyOptions) =>
  Effect.gen(function*() {
    const resources = options.resources
    const timeout = yield* Effect.fromResult(validateTimeout("timeout", yield* resolveUnknown(options.timeout)))
    const enabled = yield* Effect.fromResult(validateBoolean("enabled", yield* resolveUnknown(orDefault(options.enabled, true))))
    const capacities: Array<number> = []
    const maxWaiting: Array<number> = []
    for (let i = 0; i < resources.length; i++) {
      const resource = resources[i]
      if (Limit.isLimit(resource.capacity)) {
        return yield* refuse(
          resourceField(resources, i, "capacity"),
          `Limit.${resource.capacity.name}`,
          "a number or a Config: RedisLimiter holds fixed capacities only"
        )
      }
      const capacity = yield* resolveUnknown(resource.capacity)
      capacities.push(yield* Effect.fromResult(validateCapacity(resourceField(resources, i, "capacity"), capacity)))
      const bound = yield* resolveUnknown(orDefault(resource.maxWaiting, Infinity))
      maxWaiting.push(yield* Effect.fromResult(validateMaxWaiting(resourceField(resources, i, "maxWaiting"), bound)))
    }
    return { timeout, enabled, capacities, maxWaiting }
  })

/** A duration option in ms, within `checkTimerMillis`'s bounds (a Node timer: the heartbeat's, the command timeout's). */
const validateDuration = (name: string, value: unknown, min: number): Effect.Effect<number, LimiterConfigError> => {
  const checked = validateTimeout(name, value)
  if (Result.isFailure(checked)) return Effect.fail(checked.failure)
  return Effect.fromResult(fromChecked(checkTimerMillis(name, value, Duration.toMillis(checked.success), min)))
}

/** The options of the layer itself, checked before anything connects. */
const readLayerOptions = (options: AnyOptions) =>
  Effect.gen(function*() {
    const resources: ReadonlyArray<Resource.Resource.Any> = options.resources
    const rank = yield* Effect.fromResult(fromChecked(checkResourceList(resources, Resource.isResource, resourceNameRule)))
    yield* Effect.fromResult(fromChecked(checkRemoteResources(resources)))
    const leaseTtlMillis = yield* validateDuration("leaseTtl", orDefault(options.leaseTtl, "5 seconds"), 100)
    const commandTimeoutMillis = yield* validateDuration("commandTimeout", orDefault(options.commandTimeout, "1 second"), 1)
    const failure = yield* Effect.fromResult(fromChecked(checkFailure(orDefault(options.failure, "closed"))))
    const replicas = yield* Effect.fromResult(fromChecked(checkReplicas(orDefault(options.replicas, 1))))
    const prefix = yield* Effect.fromResult(fromChecked(checkPrefix(orDefault(options.prefix, "ecl"))))
    return { resources, rank, leaseTtlMillis, commandTimeoutMillis, failure, replicas, prefix }
  })

/** @internal */
export const make = (options: AnyOptions) =>
  Effect.gen(function*() {
    const { commandTimeoutMillis, failure, leaseTtlMillis, prefix, rank, replicas, resources } = yield* readLayerOptions(options)
    let settings = yield* readSettings(options)
    const metrics = yield* Effect.fromResult(validateBoolean("metrics", yield* resolveUnknown(orDefault(options.metrics, true))))
    // This replica's view of each resource, in the series of a limiter named `name`.
    const series = yield* makeSeries(options.name, resources.map((resource) => resource.name), metrics)

    // The local share, provided under the resources' own tags: it serves
    // while Redis is unreachable (fail open), and answers `yield* Db`.
    const localResources = resources.map((resource, i) =>
      Resource.make(resource.name, {
        capacity: localShare(settings.capacities[i], replicas),
        maxWaiting: settings.maxWaiting[i]
      })
    )
    const local = yield* Layer.buildWithScope(
      // No metrics of its own: the remote resources publish this limiter's
      // series, which a local limiter of the same name would collide with.
      localLayer({
        timeout: settings.timeout,
        resources: localResources as unknown as Limiter.NonEmptyResources,
        metrics: false
      }),
      yield* Scope.Scope
    )
    const localSemaphores = resources.map((resource) => unsafeImpl(Context.getUnsafe(local, resource)))

    const replica = new Replica(
      prefix,
      resources.map((resource, i) => ({ name: resource.name, capacity: settings.capacities[i], maxWaiting: settings.maxWaiting[i] })),
      leaseTtlMillis,
      (name) => series === null ? null : new ResourceSeries(series, name)
    )
    const remote = replica.remote
    // Log lines written from the client's callbacks run in fibers of this
    // set, which closing the layer interrupts: nothing of the layer outlives it.
    const runFork = yield* FiberSet.makeRuntime<never>()
    const logWarning = (message: string) => runFork(Effect.logWarning(message))

    const connection = yield* connect({
      commandTimeoutMillis,
      channels: replica.channels,
      onMessage: (channel, message) => replica.onMessage(channel, message),
      onRecovered: () => replica.recovered(),
      whileDown: replica.whileDown(failure, replicas)
    })
    // Closing: the queued guards leave the queue before the subscriptions
    // close (this runs first), and are refused with BusyError ("unavailable").
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => {
        replica.refuseWaiting()
        // Redis answers one connection in order: once this PING is answered, those releases ran.
        return connection.up() ? connection.send("PING").then(() => {}, () => {}) : Promise.resolve()
      })
    )
    const { heartbeat, permits } = replica.start(connection.scripts, connection, (error) =>
      runFork(Effect.logDebug(`RedisLimiter: a release did not reach Redis (the lease will expire): ${String(error)}`)), logWarning)
    yield* Effect.forkScoped(runHeartbeat(heartbeat))

    const busyErrors = new BusyErrors()
    const unavailable: Unavailable = failure === "closed"
      ? (_self, ordered, timeout) => Effect.fail(busyErrors.get(ordered[0].name, "unavailable", timeout))
      : (self, ordered, timeout) =>
        // The local limiter lists its own definitions of the resources (their capacity is the share).
        Effect.provide(
          withResources(self, ordered.map((resource) => localResources[rank.get(resource.key)!]), { timeout }),
          local
        ) as any

    const remoteOf = (resource: Resource.Resource.Any) => remote[rank.get(resource.key)!]
    const applyCapacity = (i: number, capacity: number) => {
      replica.setCapacity(i, capacity)
      localSemaphores[i].resizeTo(localShare(capacity, replicas))
    }
    const counts = (): Promise<ReadonlyArray<unknown>> =>
      connection.up()
        ? Promise.all(replica.countedKeys.map((key) => connection.send("ZCARD", key)))
          .catch(() => [])
        : Promise.resolve([])

    const service: Limiter.Service = {
      get timeout() {
        return settings.timeout
      },
      get enabled() {
        return settings.enabled
      },
      resources,
      rankOf: (resource) => rank.get(resource.key),
      // Redis's counts, all replicas together; this replica's local share when Redis is unreachable.
      stats: Effect.map(Effect.promise(counts), (results) => replica.stats(results, (i) => localSemaphores[i].unsafeStats())),
      setCapacity: (resource, capacity) =>
        Effect.suspend(() => {
          const i = rank.get(resource.key)
          if (i === undefined) return refuse("resource", resource.name, "a resource listed in RedisLimiter.layer({ resources })")
          return Effect.map(
            Effect.fromResult(validateCapacity(resourceField(resources, i, "capacity"), capacity)),
            (n) => applyCapacity(i, n)
          )
        }),
      reload: Effect.flatMap(Effect.suspend(() => readSettings(options)), (next) =>
        Effect.sync(() => {
          settings = next
          for (let i = 0; i < resources.length; i++) {
            if (Config.isConfig(resources[i].maxWaiting)) remote[i].maxWaiting = next.maxWaiting[i]
            if (Config.isConfig(resources[i].capacity)) applyCapacity(i, next.capacities[i])
          }
        }))
    }
    registerRemote(service, makeGuard(permits, remoteOf, connection.up, unavailable, busyErrors), busyErrors)

    let context = Context.make(LimiterTag, service) as Context.Context<unknown>
    for (let i = 0; i < resources.length; i++) context = Context.add(context, resources[i], localSemaphores[i])
    return context
  })

/** @internal */
export const layer = <const Resources extends Limiter.NonEmptyResources>(
  options: RedisLimiter.Options<Resources>
): Layer.Layer<
  LimiterTag | Resource.Resource.Identifiers<Resources>,
  LimiterConfigError | Config.ConfigError,
  Redis.Redis
> => Layer.effectContext(make(options)) as any
