/**
 * The limiter: it owns the resources' semaphores, their canonical
 * acquisition order and the acquisition timeout, and guards effects with
 * `withResources`.
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { BusyError } from "./BusyError.js"
import * as internalAcquire from "./internal/acquire.js"
import * as internal from "./internal/limiter.js"
import type { LimiterConfigError } from "./LimiterConfigError.js"
import type * as Resource from "./Resource.js"
import type * as Semaphore from "./Semaphore.js"

/**
 * The limiter service, provided by `Limiter.layer`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "effect-concurrency-limiter"
 *
 * const logStats = Effect.gen(function*() {
 *   const limiter = yield* Limiter.Limiter
 *   for (const s of yield* limiter.stats) {
 *     yield* Effect.log(`${s.resource}: ${s.inUse}/${s.capacity} in use, ${s.waiting} waiting`)
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Limiter: typeof internal.LimiterTag = internal.LimiterTag

/**
 * The type of the `Limiter` tag, as it appears in an effect's requirements.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "effect-concurrency-limiter"
 *
 * // A helper that needs the limiter says so in its type.
 * const resourceNames: Effect.Effect<ReadonlyArray<string>, never, Limiter.Limiter> = Effect.map(
 *   Limiter.Limiter,
 *   (limiter) => limiter.resources.map((resource) => resource.name)
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export type Limiter = internal.LimiterTag

/**
 * What the `Limiter` service holds.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { Limiter } from "effect-concurrency-limiter"
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
 * @since 0.1.0
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
  readonly reload: Effect.Effect<void, LimiterConfigError | ConfigError.ConfigError>
}

/**
 * The state of one resource.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "effect-concurrency-limiter"
 *
 * const isSaturated = (stats: Limiter.ResourceStats): boolean => stats.inUse >= stats.capacity && stats.waiting > 0
 *
 * const saturated = Effect.gen(function*() {
 *   const limiter = yield* Limiter.Limiter
 *   return (yield* limiter.stats).filter(isSaturated).map((stats) => stats.resource)
 * })
 * ```
 *
 * @since 0.1.0
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
 * import type { Limiter } from "effect-concurrency-limiter"
 *
 * // Is the partition using permits that another partition is guaranteed?
 * const isBorrowing = (partition: Limiter.PartitionStats): boolean => partition.inUse > partition.guaranteed
 * ```
 *
 * @since 0.3.0
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
 * A non-empty list of resources.
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const Fs = Resource.make("Fs", { capacity: 10 })
 *
 * const resources = [Db, Fs] as const satisfies Limiter.NonEmptyResources
 * const LimiterLive = Limiter.layer({ timeout: "2 seconds", resources })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type NonEmptyResources = readonly [Resource.Resource.Any, ...Array<Resource.Resource.Any>]

/**
 * The options of `Limiter.layer`.
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: Config.integer("DB_CONCURRENCY") })
 *
 * const options: Limiter.Options<readonly [typeof Db]> = {
 *   timeout: Config.string("LIMITER_TIMEOUT").pipe(Config.withDefault("2 seconds")),
 *   resources: [Db],
 *   enabled: Config.boolean("LIMITER_ENABLED").pipe(Config.withDefault(true)),
 *   name: "api"
 * }
 * const LimiterLive = Limiter.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<Resources extends ReadonlyArray<Resource.Resource.Any>> {
  /**
   * How long a request may wait for all its resources together before it
   * fails with `BusyError`. Zero rejects at once when a resource is full;
   * `Duration.infinity` waits as long as it takes. Accepts a `Config`, e.g.
   * `Config.string("LIMITER_TIMEOUT")`: a negative or malformed value fails
   * the layer (`Config.duration` would quietly turn a negative into zero).
   */
  readonly timeout: Duration.DurationInput | Config.Config<Duration.DurationInput> | Config.Config<string>
  /**
   * Every resource the app guards, in canonical acquisition order: guards
   * take their resources in this order whatever order they list them in.
   */
  readonly resources: Resources
  /** `false` makes every guard a pass-through. Default `true`. */
  readonly enabled?: boolean | Config.Config<boolean> | undefined
  /** `false` turns off the `Metrics` module's metrics for this limiter. Default `true`. */
  readonly metrics?: boolean | Config.Config<boolean> | undefined
  /**
   * The limiter's name: the `limiter` label of every series of its metrics,
   * so that two limiters guarding resources of the same name keep separate
   * series. A non-empty string, or a `Config` of one. Default `"default"`.
   * Building a limiter whose series a live limiter already writes (same
   * name, a resource of the same name, the same `Effect.tagMetrics`
   * labels) fails with `LimiterConfigError` on `name`, rather than letting
   * the two overwrite each other's gauges: name one of them (tests that
   * run limiters side by side, such as replicas, name each), or turn its
   * `metrics` off. Once a layer closes, its name is free again. Read once,
   * when the layer is built (`reload` leaves it).
   */
  readonly name?: string | Config.Config<string> | undefined
}

/**
 * The options of one guard.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const buildReport = Effect.succeed("report") // a long query
 *
 * // A report may wait longer for its permit than a page does.
 * const slow = { timeout: "30 seconds" } satisfies Limiter.WithResourcesOptions
 * const report = buildReport.pipe(Limiter.withResources([Db], slow))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface WithResourcesOptions {
  /** Overrides the limiter's timeout for this guard. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * The partition this guard's requests belong to, on every listed resource
   * that has partitions. Required when one has, and checked by the types
   * (see `GuardOptions`) and when the guard is defined.
   */
  readonly partition?: string | undefined
}

/**
 * The partition names a guard over `Resources` may give: those that every
 * partitioned resource listed has (`string` when none is partitioned).
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 10, partitions: { interactive: 0.8, batch: 0.2 } })
 * const Search = Resource.make("Search", { capacity: 4, partitions: { interactive: 0.5, batch: 0.25, admin: 0.25 } })
 *
 * // "interactive" | "batch": "admin" is not a partition of Db.
 * type Shared = Limiter.CommonPartition<[typeof Db, typeof Search]>
 * const partition: Shared = "batch"
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export type CommonPartition<Resources extends ReadonlyArray<unknown>, Common = string> = Resources extends
  readonly [infer Head, ...infer Tail]
  ? CommonPartition<Tail, [Resource.Resource.Partition<Head>] extends [never] ? Common : Common & Resource.Resource.Partition<Head>>
  : Common

/**
 * The options argument of a guard over `Resources`: optional, without a
 * partition, when no resource listed is partitioned; required, with one of
 * their common partitions, when one is. So an unknown partition, or a
 * missing one, does not compile.
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 10, partitions: { interactive: 0.8, batch: 0.2 } })
 *
 * // A helper whose callers give the guard's options, checked as the guard checks them.
 * const withDb = <A, E, R>(self: Effect.Effect<A, E, R>, ...options: Limiter.GuardOptions<[typeof Db]>) =>
 *   Limiter.withResources(self, [Db], ...options)
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export type GuardOptions<Resources extends ReadonlyArray<unknown>> = 0 extends (1 & Resources)
  // `any` resources (e.g. a list built at run time and cast): checked when defined.
  ? [options?: WithResourcesOptions]
  : [Resource.Resource.Partition<Resources[number]>] extends [never]
    ? [options?: WithResourcesOptions & { readonly partition?: undefined }]
    : [options: WithResourcesOptions & { readonly partition: CommonPartition<Resources> }]

/**
 * Builds the limiter and a semaphore for each resource. Fails with
 * `LimiterConfigError` (or the `ConfigError` of a `Config` option) before
 * any request is served when an option is out of range.
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const Fs = Resource.make("Fs", { capacity: 10 })
 *
 * // Provides Limiter, Db and Fs.
 * const LimiterLive = Limiter.layer({ timeout: "5 seconds", resources: [Db, Fs] })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <const Resources extends NonEmptyResources>(
  options: Options<Resources>
) => Layer.Layer<Limiter | Resource.Resource.Identifiers<Resources>, LimiterConfigError | ConfigError.ConfigError> =
  internal.layer

/**
 * A resource listed twice in one guard, as a type error.
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const Fs = Resource.make("Fs", { capacity: 10 })
 *
 * type Twice = Limiter.Duplicate<[typeof Db, typeof Fs, typeof Db]> // typeof Db
 * type None = Limiter.Duplicate<[typeof Db, typeof Fs]> // never
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Duplicate<Resources extends ReadonlyArray<unknown>> = Resources extends
  readonly [infer Head, ...infer Tail] ? ([Head] extends [Tail[number]] ? Head : Duplicate<Tail>) : never

/**
 * `Resources`, or a type no list satisfies when one resource is listed twice.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const withDbTwice = <A, E, R>(self: Effect.Effect<A, E, R>) =>
 *   // @ts-expect-error: Db is listed twice, so the list is not Distinct
 *   self.pipe(Limiter.withResources([Db, Db])) // and would throw a TypeError if it compiled
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Distinct<Resources extends ReadonlyArray<unknown>> = [Duplicate<Resources>] extends [never] ? Resources
  : { readonly "a resource is listed twice": Duplicate<Resources> }

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
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const listMessages = Effect.succeed(["hello", "world"]) // a database query
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.get(
 *     "/messages",
 *     listMessages.pipe(Limiter.withResources([Db]), Effect.flatMap(HttpServerResponse.json))
 *   )
 * )
 * ```
 *
 * @since 0.1.0
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
} = internal.withResources as any

/**
 * Takes one permit of each listed resource for the life of the `Scope` in
 * context: the scoped form of `withResources`, for work that is not one
 * effect (a response read later, a stream, a connection). The permits are
 * taken exactly as `withResources` takes them — canonical order, one
 * deadline, `BusyError` — and released when the scope closes, ended as its
 * exit says (success, failure, interruption), which is what an adaptive
 * `Limit` learns from. The options are checked when it is called.
 *
 * With a `RedisLimiter`, a fiber forked into the scope holds the permits;
 * a lease lost while held ends that fiber, not the scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
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
 * @since 0.5.0
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
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * // e.g. from an admin endpoint, after the database got more cores
 * const grow = Limiter.setCapacity(Db, 8)
 * ```
 *
 * @since 0.3.0
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
 * @example
 * ```ts
 * import { Config, Effect, Schedule } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: Config.integer("DB_CONCURRENCY") })
 *
 * // Pick up a new DB_CONCURRENCY every 30 seconds; log a bad one and keep the old.
 * const follow = Limiter.reload.pipe(
 *   Effect.catchAll((error) => Effect.logWarning(`limiter settings not reloaded: ${error.message}`)),
 *   Effect.repeat(Schedule.spaced("30 seconds"))
 * )
 * ```
 *
 * @since 0.3.0
 * @category capacity
 */
export const reload: Effect.Effect<void, LimiterConfigError | ConfigError.ConfigError, Limiter> = internal.reload
