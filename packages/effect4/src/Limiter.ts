/**
 * The limiter: it owns the resources' semaphores, their canonical
 * acquisition order and the acquisition timeout, and guards effects with
 * `withResources`.
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { BusyError } from "./BusyError.js"
import * as internalAcquire from "./internal/acquire.js"
import * as internalGuard from "./internal/guard.js"
import * as internal from "./internal/limiter.js"
import type { LimiterConfigError } from "./LimiterConfigError.js"
import type { Distinct, GuardOptions, NonEmptyResources, Options } from "./LimiterOptions.js"
import type * as Resource from "./Resource.js"
import type * as Semaphore from "./Semaphore.js"


/**
 * The options of `layer` and of guards, and the checks of a guard's list of
 * resources (`Options`, `GuardOptions`, `Distinct`, …), documented in the
 * `LimiterOptions` module.
 *
 * @example
 * ```ts
 * import type { Limiter } from "@effect-concurrency-limiter/effect4"
 *
 * const slow: Limiter.WithResourcesOptions = { timeout: "30 seconds" }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export * from "./LimiterOptions.js"

/**
 * The limiter service, provided by `Limiter.layer`.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter } from "@effect-concurrency-limiter/effect4"
 *
 * const logStats = Effect.gen(function*() {
 *   const limiter = yield* Limiter.Limiter
 *   for (const s of yield* limiter.stats) {
 *     yield* Effect.log(`${s.resource}: ${s.inUse}/${s.capacity} in use, ${s.waiting} waiting`)
 *   }
 * })
 * ```
 *
 * @since 0.6.0
 * @category tags
 */
export const Limiter: typeof internal.LimiterTag = internal.LimiterTag

/**
 * The type of the `Limiter` tag, as it appears in an effect's requirements.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter } from "@effect-concurrency-limiter/effect4"
 *
 * // A helper that needs the limiter says so in its type.
 * const resourceNames: Effect.Effect<ReadonlyArray<string>, never, Limiter.Limiter> = Effect.map(
 *   Limiter.Limiter,
 *   (limiter) => limiter.resources.map((resource) => resource.name)
 * )
 * ```
 *
 * @since 0.6.0
 * @category tags
 */
export type Limiter = internal.LimiterTag

/**
 * What the `Limiter` service holds.
 *
 * @example
 * ```ts
 * import * as Duration from "effect/Duration"
 * import * as Effect from "effect/Effect"
 * import { Limiter } from "@effect-concurrency-limiter/effect4"
 *
 * // For a health or admin endpoint.
 * const settings = Effect.gen(function*() {
 *   const limiter: Limiter.Service = yield* Limiter.Limiter
 *   return {
 *     enabled: limiter.enabled,
 *     timeout: Duration.format(limiter.timeout),
 *     order: limiter.resources.map((resource) => resource.name)
 *   }
 * })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Service {
  /** How long a request may wait for all its resources together (as of the last `reload`). */
  readonly timeout: Duration.Duration
  /** `false` turns every guard into a pass-through (a kill switch, and the baseline of benchmarks). */
  readonly enabled: boolean
  /** The resources, in canonical acquisition order. */
  readonly resources: ReadonlyArray<Resource.Resource.Any>
  /** The place of a resource in the acquisition order, `undefined` if it is not listed. */
  readonly rankOf: (resource: Resource.Resource.Any) => number | undefined
  /** Capacity, permits in use and queue length of every resource, in canonical order. */
  readonly stats: Effect.Effect<ReadonlyArray<ResourceStats>>
  /** Sets a resource's capacity while serving: see `Limiter.setCapacity`. */
  readonly setCapacity: (resource: Resource.Resource.Any, capacity: number) => Effect.Effect<void, LimiterConfigError>
  /** Reads the options given as `Config` again and applies them: see `Limiter.reload`. */
  readonly reload: Effect.Effect<void, LimiterConfigError | Config.ConfigError>
}

/**
 * The state of one resource.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter } from "@effect-concurrency-limiter/effect4"
 *
 * const isSaturated = (stats: Limiter.ResourceStats): boolean => stats.inUse >= stats.capacity && stats.waiting > 0
 *
 * const saturated = Effect.gen(function*() {
 *   const limiter = yield* Limiter.Limiter
 *   return (yield* limiter.stats).filter(isSaturated).map((stats) => stats.resource)
 * })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface ResourceStats extends Semaphore.Stats {
  readonly resource: string
  /** The queue bound; `Infinity` for none. */
  readonly maxWaiting: number
  /** Each partition's state, for a partitioned resource. */
  readonly partitions?: ReadonlyArray<PartitionStats> | undefined
}

/**
 * The state of one partition of a resource.
 *
 * @example
 * ```ts
 * import type { Limiter } from "@effect-concurrency-limiter/effect4"
 *
 * // Is the partition using permits that another partition is guaranteed?
 * const isBorrowing = (partition: Limiter.PartitionStats): boolean => partition.inUse > partition.guaranteed
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface PartitionStats {
  readonly partition: string
  /** The permits it is guaranteed under contention. */
  readonly guaranteed: number
  /** The permits its holders have (it may borrow beyond its guarantee). */
  readonly inUse: number
  /** Its guards queued for the resource. */
  readonly waiting: number
}

/**
 * Builds the limiter and a semaphore for each resource. Fails with
 * `LimiterConfigError` (or the `ConfigError` of a `Config` option) before
 * any request is served when an option is out of range.
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const Fs = Resource.make("Fs", { capacity: 10 })
 *
 * // Provides Limiter, Db and Fs.
 * const LimiterLive = Limiter.layer({ timeout: "5 seconds", resources: [Db, Fs] })
 * ```
 *
 * @since 0.6.0
 * @category layers
 */
export const layer: <const Resources extends NonEmptyResources>(
  options: Options<Resources>
) => Layer.Layer<Limiter | Resource.Resource.Identifiers<Resources>, LimiterConfigError | Config.ConfigError> =
  internal.layer

/**
 * Guards an effect: it runs once it holds one permit of every listed
 * resource, and releases them when it ends, however it ends (success,
 * failure, defect, interruption). Resources are taken in the limiter's
 * canonical order whatever order they are listed in, so guards cannot
 * deadlock each other. One deadline, the limiter's timeout unless
 * `options.timeout` overrides it, covers the whole acquisition; when it
 * passes, the effect fails with `BusyError` (HTTP 503) without running.
 *
 * The resources join the `R` channel: guarding with a resource that the
 * app's layer does not provide does not compile.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as HttpRouter from "effect/http/HttpRouter"
 * import * as HttpServerResponse from "effect/http/HttpServerResponse"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const listMessages = Effect.succeed(["hello", "world"]) // a database query
 *
 * const Messages = HttpRouter.add(
 *   "GET",
 *   "/messages",
 *   listMessages.pipe(Limiter.withResources([Db]), Effect.flatMap((rows) => HttpServerResponse.json(rows)))
 * )
 * ```
 *
 * @since 0.6.0
 * @category combinators
 */
export const withResources: {
  <const Resources extends NonEmptyResources>(
    resources: Resources & Distinct<Resources>,
    ...options: GuardOptions<Resources>
  ): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | BusyError, R | Limiter | Resource.Resource.Identifiers<Resources>>
  <A, E, R, const Resources extends NonEmptyResources>(
    self: Effect.Effect<A, E, R>,
    resources: Resources & Distinct<Resources>,
    ...options: GuardOptions<Resources>
  ): Effect.Effect<A, E | BusyError, R | Limiter | Resource.Resource.Identifiers<Resources>>
} = internalGuard.withResources as any

/**
 * Takes one permit of each listed resource for the life of the `Scope` in
 * context: the scoped form of `withResources`, for work that is not one
 * effect (a response read later, a stream, a connection). The permits are
 * taken exactly as `withResources` takes them — canonical order, one
 * deadline, `BusyError` — and released when the scope closes, ended as its
 * exit says (success, failure, interruption), which is what an adaptive
 * `Limit` learns from. The options are checked when it is called.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const report = Effect.scoped(
 *   Effect.gen(function*() {
 *     yield* Limiter.acquire([Db], { timeout: "1 second" })
 *     // ... several steps, all under one permit of Db, released at the end of the scope
 *   })
 * )
 * ```
 *
 * @since 0.6.0
 * @category combinators
 */
export const acquire: <const Resources extends NonEmptyResources>(
  resources: Resources & Distinct<Resources>,
  ...options: GuardOptions<Resources>
) => Effect.Effect<void, BusyError, Limiter | Scope.Scope | Resource.Resource.Identifiers<Resources>> =
  internalAcquire.acquire as any

/**
 * Sets a resource's capacity while serving. It takes effect for the next
 * grant: growing admits waiters at once; shrinking admits no one until the
 * permits in use fall under the new capacity. Nothing already running is
 * interrupted. A partitioned resource's guarantees are recomputed from the
 * new capacity. An invalid capacity fails with `LimiterConfigError` and
 * changes nothing. A capacity given as a `Config` is read again by `reload`,
 * which then replaces what was set here.
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * // e.g. from an admin endpoint, after the database got more cores
 * const grow = Limiter.setCapacity(Db, 8)
 * ```
 *
 * @since 0.6.0
 * @category capacity
 */
export const setCapacity: <Name extends string>(
  resource: Resource.Resource<Name, any>,
  capacity: number
) => Effect.Effect<void, LimiterConfigError, Limiter | Resource.Resource.Identifier<Name>> = internal.setCapacity as any

/**
 * Reads again every limiter option given as a `Config` — capacities, queue
 * bounds, the timeout, the on/off switch — checks them all, and applies them
 * all, or none when one is invalid (the error names it). Changes take effect
 * as `setCapacity`'s do. Options given as plain values keep their values
 * (a capacity, the one `setCapacity` last set).
 *
 * It reads what the `ConfigProvider` in context answers now. Effect 4's
 * default provider reads the environment once, at its first read: for a
 * reload to see new values, provide one that reads its source every time.
 *
 * @example
 * ```ts
 * import * as Config from "effect/Config"
 * import * as ConfigProvider from "effect/ConfigProvider"
 * import * as Effect from "effect/Effect"
 * import * as Schedule from "effect/Schedule"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: Config.Int("DB_CONCURRENCY") })
 *
 * // The environment as it is at each read, not as it was at the first.
 * const LiveEnv = ConfigProvider.layer(
 *   ConfigProvider.make((path) => Effect.suspend(() => ConfigProvider.fromEnvRecord({ ...process.env }).load(path)))
 * )
 *
 * // Pick up a new DB_CONCURRENCY every 30 seconds; log a bad one and keep the old.
 * const follow = Limiter.reload.pipe(
 *   Effect.catch((error) => Effect.logWarning(`limiter settings not reloaded: ${error.message}`)),
 *   Effect.repeat(Schedule.spaced("30 seconds"))
 * )
 * ```
 *
 * @since 0.6.0
 * @category capacity
 */
export const reload: Effect.Effect<void, LimiterConfigError | Config.ConfigError, Limiter> = internal.reload
