/**
 * Named resources: the shared things (a database, the filesystem, a paid
 * upstream API) whose concurrency the `Limiter` bounds.
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import { hasProperty } from "effect/Predicate"
import type * as Limit from "./Limit.js"
import type * as Semaphore from "./Semaphore.js"

/**
 * Brands resources (`Symbol.for("effect-concurrency-limiter/Resource")`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Resource.TypeId in Resource.make("Db", { capacity: 5 }), true)
 * ```
 *
 * @since 0.6.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-concurrency-limiter/Resource")

/**
 * The type of `TypeId`.
 *
 * @example
 * ```ts
 * import type { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * type Branded = { readonly [K in Resource.TypeId]: Resource.TypeId }
 * ```
 *
 * @since 0.6.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A resource is a `Context.Service` key whose service is the resource's semaphore.
 * Its name is part of its type, so a handler guarded by `Db` requires `Db`
 * in its `R` channel, and an app whose layer does not provide `Db` does not
 * compile.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * // The semaphore, when you need it directly (metrics, tests):
 * const inUse = Effect.flatMap(Db, (semaphore) => semaphore.stats)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Resource<Name extends string, Partition extends string = never>
  extends Context.Service<Resource.Identifier<Name>, Semaphore.Semaphore>
{
  readonly [TypeId]: TypeId
  /** The name the resource is known by in errors, logs and metrics. */
  readonly name: Name
  /** The number of requests that may hold the resource at once, or the algorithm that sets it. */
  readonly capacity: number | Config.Config<number> | Limit.Limit<any>
  /** The most requests that may queue for it; `undefined` for no bound. */
  readonly maxWaiting: number | Config.Config<number> | undefined
  /** Which waiter a freed permit goes to: the oldest (`"fifo"`) or the newest (`"lifo"`). */
  readonly order: Order
  /** Its partitions and their shares of the capacity; `undefined` when it has none. */
  readonly partitions: { readonly [P in Partition]: number } | undefined
}

/**
 * Which waiter a freed permit goes to: the one that has waited longest
 * (`"fifo"`), or the one that arrived last (`"lifo"`).
 *
 * @example
 * ```ts
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * // Under a sustained overload, serve the requests whose clients are still waiting.
 * const order: Resource.Order = "lifo"
 * const Search = Resource.make("Search", { capacity: 8, order })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type Order = "fifo" | "lifo"

/**
 * The types that go with `Resource`.
 *
 * @example
 * ```ts
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const names = (resources: ReadonlyArray<Resource.Resource.Any>) => resources.map((resource) => resource.name)
 * names([Db])
 * ```
 *
 * @since 0.6.0
 */
export declare namespace Resource {
  /**
   * The identifier of a resource in the `R` channel.
   *
   * @example
   * ```ts
   * import type * as Effect from "effect/Effect"
   * import type { Resource } from "@effect-concurrency-limiter/effect4"
   *
   * // An effect that must run where the limiter provides Db.
   * type NeedsDb<A> = Effect.Effect<A, never, Resource.Resource.Identifier<"Db">>
   * ```
   *
   * @since 0.6.0
   * @category models
   */
  export interface Identifier<Name extends string> {
    readonly "effect-concurrency-limiter/Resource": Name
  }

  /**
   * Any resource.
   *
   * @example
   * ```ts
   * import { Resource } from "@effect-concurrency-limiter/effect4"
   *
   * const byName = (resources: ReadonlyArray<Resource.Resource.Any>, name: string) =>
   *   resources.find((resource) => resource.name === name)
   * ```
   *
   * @since 0.6.0
   * @category models
   */
  export type Any = Resource<any, any>

  /**
   * The partition names of a resource; `never` for a resource without partitions.
   *
   * @example
   * ```ts
   * import { Resource } from "@effect-concurrency-limiter/effect4"
   *
   * const Db = Resource.make("Db", { capacity: 10, partitions: { interactive: 0.8, batch: 0.2 } })
   *
   * type DbPartition = Resource.Resource.Partition<typeof Db> // "interactive" | "batch"
   * const nightly: DbPartition = "batch"
   * ```
   *
   * @since 0.6.0
   * @category models
   */
  export type Partition<R> = R extends Resource<any, infer P> ? P : never

  /**
   * The identifiers of a list of resources, as they appear in `R`.
   *
   * @example
   * ```ts
   * import { Resource } from "@effect-concurrency-limiter/effect4"
   *
   * const Db = Resource.make("Db", { capacity: 5 })
   * const Fs = Resource.make("Fs", { capacity: 10 })
   *
   * // Resource.Resource.Identifier<"Db"> | Resource.Resource.Identifier<"Fs">
   * type Needed = Resource.Resource.Identifiers<[typeof Db, typeof Fs]>
   * ```
   *
   * @since 0.6.0
   * @category models
   */
  export type Identifiers<Resources extends ReadonlyArray<Any>> = Context.Service.Identifier<Resources[number]>
}

/**
 * How to build a resource.
 *
 * @example
 * ```ts
 * import * as Config from "effect/Config"
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const options: Resource.Options<"interactive" | "batch"> = {
 *   capacity: Config.Int("DB_CONCURRENCY").pipe(Config.withDefault(10)),
 *   maxWaiting: 100,
 *   partitions: { interactive: 0.8, batch: 0.2 }
 * }
 * const Db = Resource.make("Db", options)
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Options<Partition extends string = never> {
  /**
   * How many requests may hold the resource at once: a positive safe integer,
   * or a `Config` that reads one (e.g. `Config.Int("DB_CONCURRENCY")`),
   * which `Limiter.reload` reads again. It is checked when the `Limiter`
   * layer is built. `Limiter.setCapacity` changes it while serving.
   *
   * Or an adaptive `Limit` (e.g. `Limit.gradient2({ initial: 20, min: 1,
   * max: 200 })`): every guarded call feeds it a sample (round-trip time,
   * permits in use, success or failure; a refusal counts as a drop), and
   * the capacity follows the limit it computes, live.
   */
  readonly capacity: number | Config.Config<number> | Limit.Limit<any>
  /**
   * The most requests that may queue for the resource. A guard that would
   * be one more fails at once with `BusyError` (`reason: "queue-full"`),
   * without waiting: far cheaper than a refusal at the deadline, and the
   * client hears sooner. A non-negative safe integer (`0`: never queue) or a
   * `Config` of one; `Infinity` or absent: no bound. It bounds guards only:
   * takes through the resource's `Semaphore` API are not refused.
   */
  readonly maxWaiting?: number | Config.Config<number> | undefined
  /**
   * Which waiter a freed permit goes to. `"fifo"` (the default) serves the
   * one that waited longest. `"lifo"` serves the newest: under a sustained
   * overload the requests that are served have waited least (their clients
   * are still there), while the oldest time out on their own deadline.
   * Neither lets a newcomer pass a waiter to a free permit.
   */
  readonly order?: Order | undefined
  /**
   * Splits the capacity into named partitions with guaranteed shares, e.g.
   * `{ interactive: 0.8, batch: 0.2 }` (each share in (0, 1], together at
   * most 1). A guard then names its partition (`Limiter.withResources([Db],
   * { partition: "batch" })`). Under contention each partition gets at least
   * its share of the capacity (rounded by largest remainder, so 0.8 / 0.2 of
   * 5 is 4 / 1); a share its partition does not use is lent to the others,
   * and given back as their holders finish (nobody is interrupted).
   */
  readonly partitions?: { readonly [P in Partition]: number } | undefined
}

/**
 * Declares a resource. Declaring does not allocate anything: the semaphore
 * is created by `Limiter.layer`, which lists the resource.
 *
 * A resource is known by its name, as a `Context.Service` is by its key: make
 * each once, in a module of its own, and import it wherever it is used. The
 * same definition made twice (same name, same options) is the same resource;
 * a guard or `Limiter.setCapacity` naming a resource that has the name of
 * one the limiter lists but other options is refused, naming it, rather
 * than quietly using the listed one's semaphore. Two limiters may each list
 * a resource of the same name: each has its own semaphore.
 *
 * @example
 * ```ts
 * import * as Config from "effect/Config"
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5, maxWaiting: 50 })
 * const Upstream = Resource.make("Upstream", {
 *   capacity: Config.Int("UPSTREAM_CONCURRENCY").pipe(Config.withDefault(20))
 * })
 * // Batch jobs are guaranteed 1 of 5 permits, interactive requests 4.
 * const Search = Resource.make("Search", { capacity: 5, partitions: { interactive: 0.8, batch: 0.2 } })
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const make = <const Name extends string, const Partition extends string = never>(
  name: Name,
  options: Options<Partition>
): Resource<Name, Partition> => {
  const key = Context.Service<Resource.Identifier<Name>, Semaphore.Semaphore>(`effect-concurrency-limiter/Resource/${name}`)
  const fields = {
    [TypeId]: TypeId,
    name,
    capacity: options.capacity,
    maxWaiting: options.maxWaiting,
    // Only `undefined` is absent: a `null` is refused by the layer.
    order: options.order === undefined ? "fifo" : options.order,
    partitions: options.partitions
  } as const
  // A key is a function, whose own `name` is read-only: defined, not assigned.
  for (const field of Reflect.ownKeys(fields)) {
    Object.defineProperty(key, field, { value: fields[field as keyof typeof fields], enumerable: true })
  }
  return key as typeof key & typeof fields
}

/**
 * Whether a value is a resource.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Resource } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Resource.isResource(Resource.make("Db", { capacity: 5 })), true)
 * strictEqual(Resource.isResource({ name: "Db", capacity: 5 }), false)
 * ```
 *
 * @since 0.6.0
 * @category guards
 */
export const isResource = (u: unknown): u is Resource.Any => hasProperty(u, TypeId)
