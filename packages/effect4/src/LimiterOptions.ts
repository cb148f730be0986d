/**
 * The options of `Limiter.layer` and of its guards, and the type-level
 * checks of a guard's list of resources. `Limiter` re-exports them all:
 * write `Limiter.Options`, `Limiter.GuardOptions`, … Kept apart so that each
 * module stays readable.
 *
 * @example
 * ```ts
 * import type { Limiter } from "@effect-concurrency-limiter/effect4"
 *
 * export const slow: Limiter.WithResourcesOptions = { timeout: "30 seconds" }
 * ```
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import type * as Resource from "./Resource.js"

/**
 * A non-empty list of resources.
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const Fs = Resource.make("Fs", { capacity: 10 })
 *
 * const resources = [Db, Fs] as const satisfies Limiter.NonEmptyResources
 * const LimiterLive = Limiter.layer({ timeout: "2 seconds", resources })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type NonEmptyResources = readonly [Resource.Resource.Any, ...Array<Resource.Resource.Any>]

/**
 * The options of `Limiter.layer`.
 *
 * @example
 * ```ts
 * import * as Config from "effect/Config"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: Config.Int("DB_CONCURRENCY") })
 *
 * const options: Limiter.Options<readonly [typeof Db]> = {
 *   timeout: Config.String("LIMITER_TIMEOUT").pipe(Config.withDefault("2 seconds")),
 *   resources: [Db],
 *   enabled: Config.Boolean("LIMITER_ENABLED").pipe(Config.withDefault(true))
 * }
 * const LimiterLive = Limiter.layer(options)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Options<Resources extends ReadonlyArray<Resource.Resource.Any>> {
  /**
   * How long a request may wait for all its resources together before it
   * fails with `BusyError`. Zero rejects at once when a resource is full;
   * `Duration.infinity` waits as long as it takes. Accepts a `Config`, e.g.
   * `Config.String("LIMITER_TIMEOUT")`: a negative or malformed value fails
   * the layer, naming it.
   */
  readonly timeout: Duration.Input | Config.Config<Duration.Input> | Config.Config<string>
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
   * The limiter's name: the `limiter` attribute of every series of its
   * metrics, so that two limiters guarding resources of the same name keep
   * separate series. A non-empty string, or a `Config` of one. Default
   * `"default"`. Building a limiter whose series a live limiter already
   * writes in the same `Metric.MetricRegistry` (same name, a resource of the
   * same name, the same `Metric.CurrentMetricAttributes`) fails with
   * `LimiterConfigError` on `name`, rather than letting the two overwrite
   * each other's gauges: name one of them, or turn its `metrics` off. Once a
   * layer closes, its name is free again. Read once, when the layer is built
   * (`reload` leaves it).
   */
  readonly name?: string | Config.Config<string> | undefined
}

/**
 * The options of one guard.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const buildReport = Effect.succeed("report") // a long query
 *
 * // A report may wait longer for its permit than a page does.
 * const slow = { timeout: "30 seconds" } satisfies Limiter.WithResourcesOptions
 * const report = buildReport.pipe(Limiter.withResources([Db], slow))
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface WithResourcesOptions {
  /** Overrides the limiter's timeout for this guard. */
  readonly timeout?: Duration.Input | undefined
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
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 10, partitions: { interactive: 0.8, batch: 0.2 } })
 * const Search = Resource.make("Search", { capacity: 4, partitions: { interactive: 0.5, batch: 0.25, admin: 0.25 } })
 *
 * // "interactive" | "batch": "admin" is not a partition of Db.
 * type Shared = Limiter.CommonPartition<[typeof Db, typeof Search]>
 * const partition: Shared = "batch"
 * ```
 *
 * @since 0.6.0
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
 * import type * as Effect from "effect/Effect"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 10, partitions: { interactive: 0.8, batch: 0.2 } })
 *
 * // A helper whose callers give the guard's options, checked as the guard checks them.
 * const withDb = <A, E, R>(self: Effect.Effect<A, E, R>, ...options: Limiter.GuardOptions<[typeof Db]>) =>
 *   Limiter.withResources(self, [Db], ...options)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type GuardOptions<Resources extends ReadonlyArray<unknown>> = 0 extends (1 & Resources)
  // `any` resources (e.g. a list built at run time and cast): checked when defined.
  ? [options?: WithResourcesOptions]
  : [Resource.Resource.Partition<Resources[number]>] extends [never]
    ? [options?: WithResourcesOptions & { readonly partition?: undefined }]
    : [options: WithResourcesOptions & { readonly partition: CommonPartition<Resources> }]

/**
 * A resource listed twice in one guard, as a type error.
 *
 * @example
 * ```ts
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const Fs = Resource.make("Fs", { capacity: 10 })
 *
 * type Twice = Limiter.Duplicate<[typeof Db, typeof Fs, typeof Db]> // typeof Db
 * type None = Limiter.Duplicate<[typeof Db, typeof Fs]> // never
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type Duplicate<Resources extends ReadonlyArray<unknown>> = Resources extends
  readonly [infer Head, ...infer Tail] ? ([Head] extends [Tail[number]] ? Head : Duplicate<Tail>) : never

/**
 * `Resources`, or a type no list satisfies when one resource is listed twice.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const withDbTwice = <A, E, R>(self: Effect.Effect<A, E, R>) =>
 *   // @ts-expect-error: Db is listed twice, so the list is not Distinct
 *   self.pipe(Limiter.withResources([Db, Db])) // and would throw a TypeError if it compiled
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type Distinct<Resources extends ReadonlyArray<unknown>> = [Duplicate<Resources>] extends [never] ? Resources
  : { readonly "a resource is listed twice": Duplicate<Resources> }
