/**
 * Builds a `RedisLimiter` layer: checks its options, connects, and provides
 * the same `Limiter` service and resource tags as `Limiter.layer`, so that
 * `Limiter.withResources` guards through Redis unchanged.
 *
 * @internal
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Limit from "../../Limit.js"
import type * as Limiter from "../../Limiter.js"
import type { LimiterConfigError } from "../../LimiterConfigError.js"
import type * as RedisLimiter from "../../RedisLimiter.js"
import * as Resource from "../../Resource.js"
import { LimiterTag, make as makeLocal, registerRemote, withResources } from "../limiter.js"
import {
  fromChecked,
  fromEither,
  orDefault,
  refuse,
  resolveUnknown,
  resourceField,
  validateBoolean,
  validateCapacity,
  validateMaxWaiting,
  validateResourceList,
  validateTimeout
} from "../options.js"
import { unsafeImpl } from "../semaphore.js"
import { connect } from "./connection.js"
import { BusyErrors } from "../busyErrors.js"
import { makeBackend, type Unavailable } from "./guard.js"
import { runHeartbeat } from "./leases.js"
import { makeSeries } from "../metrics.js"
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

/** The URL when none is given: `REDIS_URL`, or a Redis on this host. */
export const defaultUrl: Config.Config<string> = Config.string("REDIS_URL").pipe(
  Config.withDefault("redis://127.0.0.1:6379")
)

/** The options `reload` reads again. */
const readSettings = Effect.fnUntraced(function*(options: RedisLimiter.Options<ReadonlyArray<Resource.Resource.Any>>) {
  const resources = options.resources
  const timeout = yield* fromEither(validateTimeout("timeout", yield* resolveUnknown(options.timeout)))
  const enabled = yield* fromEither(validateBoolean("enabled", yield* resolveUnknown(orDefault(options.enabled, true))))
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
    capacities.push(yield* fromEither(validateCapacity(resourceField(resources, i, "capacity"), yield* resolveUnknown(resource.capacity))))
    maxWaiting.push(
      yield* fromEither(
        validateMaxWaiting(resourceField(resources, i, "maxWaiting"), yield* resolveUnknown(orDefault(resource.maxWaiting, Infinity)))
      )
    )
  }
  return { timeout, enabled, capacities, maxWaiting }
})

/** A duration option in ms, within `checkTimerMillis`'s bounds (a Node timer: the heartbeat's, ioredis's command timeout). */
const validateDuration = (name: string, value: unknown, min: number) =>
  Effect.flatMap(fromEither(validateTimeout(name, value)), (duration) =>
    fromEither(fromChecked(checkTimerMillis(name, value, Duration.toMillis(duration), min))))

/** @internal */
export const make = Effect.fnUntraced(function*(options: RedisLimiter.Options<ReadonlyArray<Resource.Resource.Any>>) {
  const resources: ReadonlyArray<Resource.Resource.Any> = options.resources
  const rank = yield* fromEither(validateResourceList(resources, resourceNameRule))
  yield* fromEither(fromChecked(checkRemoteResources(resources)))
  const leaseTtlMillis = yield* validateDuration("leaseTtl", orDefault(options.leaseTtl, "5 seconds"), 100)
  const commandTimeoutMillis = yield* validateDuration("commandTimeout", orDefault(options.commandTimeout, "1 second"), 1)
  const failure = yield* fromEither(fromChecked(checkFailure(orDefault(options.failure, "closed"))))
  const replicas = yield* fromEither(fromChecked(checkReplicas(orDefault(options.replicas, 1))))
  const prefix = yield* fromEither(fromChecked(checkPrefix(orDefault(options.prefix, "ecl"))))
  const url = yield* resolveUnknown(orDefault(options.redis, defaultUrl))
  if (typeof url !== "string" || !/^rediss?:\/\//.test(url)) {
    return yield* refuse("redis", url, "a redis:// or rediss:// URL")
  }
  let settings = yield* readSettings(options)
  const metrics = yield* fromEither(validateBoolean("metrics", yield* resolveUnknown(orDefault(options.metrics, true))))
  const series = yield* makeSeries(options.name, resources.map((resource) => resource.name), metrics)

  // The local share, provided under the resources' own tags: it serves
  // while Redis is unreachable (fail open), and answers `yield* Db`.
  const localResources = resources.map((resource, i) =>
    Resource.make(resource.name, {
      capacity: localShare(settings.capacities[i], replicas),
      maxWaiting: settings.maxWaiting[i]
    })
  )
  const local = yield* makeLocal({ timeout: settings.timeout, resources: localResources, metrics: false })
  const localSemaphores = resources.map((resource) => unsafeImpl(Context.unsafeGet(local, resource)))

  const replica = new Replica(
    prefix,
    resources.map((resource, i) => ({ name: resource.name, capacity: settings.capacities[i], maxWaiting: settings.maxWaiting[i] })),
    leaseTtlMillis,
    (name) => series === null ? null : new ResourceSeries(series, name)
  )
  const remote = replica.remote
  // Log lines written from ioredis's callbacks run in fibers of this set,
  // which closing the layer interrupts: nothing of the layer outlives it.
  const runFork = yield* FiberSet.makeRuntime<never>()
  const logWarning = (message: string) => runFork(Effect.logWarning(message))

  const connection = yield* connect({
    url,
    commandTimeoutMillis,
    channels: replica.channels,
    onMessage: (channel, message) => replica.onMessage(channel, message),
    onRecovered: () => replica.recovered(),
    whileDown: replica.whileDown(failure, replicas)
  })
  // Closing: the queued guards leave the queue before the connection closes
  // (this runs first), and are refused with BusyError ("unavailable").
  yield* Effect.addFinalizer(() =>
    Effect.promise(() => {
      replica.refuseWaiting()
      // Redis answers in order: once this PING is answered, those releases ran.
      return connection.client.ping().then(() => {}, () => {})
    })
  )
  // No liveness: ioredis reconnects on its own, and a beat ticks whatever its state.
  const { heartbeat, permits } = replica.start(connection.scripts, null, (error) =>
    runFork(Effect.logDebug(`RedisLimiter: a release did not reach Redis (the lease will expire): ${String(error)}`)), logWarning)
  yield* Effect.forkScoped(runHeartbeat(heartbeat))

  const busyErrors = new BusyErrors()
  const unavailable: Unavailable = failure === "closed"
    ? (_self, ordered, timeout) => Effect.fail(busyErrors.get(ordered[0].name, "unavailable", timeout))
    : (self, ordered, timeout) =>
      // The local limiter lists its own definitions of the resources (their capacity is the share).
      Effect.provide(withResources(self, ordered.map((resource) => localResources[rank.get(resource.key)!]), { timeout }), local) as any

  const remoteOf = (resource: Resource.Resource.Any) => remote[rank.get(resource.key)!]
  const applyCapacity = (i: number, capacity: number) => {
    replica.setCapacity(i, capacity)
    localSemaphores[i].resizeTo(localShare(capacity, replicas))
  }

  const service: Limiter.Service = {
    get timeout() {
      return settings.timeout
    },
    get enabled() {
      return settings.enabled
    },
    resources,
    rankOf: (resource) => rank.get(resource.key),
    stats: Effect.promise(() => {
      const pipeline = connection.client.pipeline()
      for (const key of replica.countedKeys) pipeline.zcard(key)
      // Each reply is `[error, count]`.
      return pipeline.exec().then((results) => (results ?? []).map((result) => result?.[1]), () => [])
    }).pipe(Effect.map((results) => replica.stats(results, (i) => localSemaphores[i].unsafeStats()))),
    setCapacity: (resource, capacity) =>
      Effect.suspend(() => {
        const i = rank.get(resource.key)
        if (i === undefined) return refuse("resource", resource.name, "a resource listed in RedisLimiter.layer({ resources })")
        return Effect.map(fromEither(validateCapacity(resourceField(resources, i, "capacity"), capacity)), (n) => applyCapacity(i, n))
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
  registerRemote(service, makeBackend(permits, remoteOf, connection.up, unavailable, busyErrors), busyErrors)

  let context = Context.make(LimiterTag, service) as Context.Context<unknown>
  for (let i = 0; i < resources.length; i++) context = Context.add(context, resources[i], localSemaphores[i])
  return context
})

/** @internal */
export const layer = <const Resources extends Limiter.NonEmptyResources>(
  options: RedisLimiter.Options<Resources>
): Layer.Layer<LimiterTag | Resource.Resource.Identifiers<Resources>, LimiterConfigError | ConfigError.ConfigError> =>
  Layer.scopedContext(make(options)) as any
