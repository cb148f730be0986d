/**
 * Named resources: the shared things (a database, the filesystem, a paid
 * upstream API) whose concurrency the `Limiter` bounds.
 *
 * @since 0.1.0
 */
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import { hasProperty } from "effect/Predicate"
import type * as Semaphore from "./Semaphore.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-concurrency-limiter/Resource")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A resource is a `Context.Tag` whose service is the resource's semaphore.
 * Its name is part of its type, so a handler guarded by `Db` requires `Db`
 * in its `R` channel, and an app whose layer does not provide `Db` does not
 * compile.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * // The semaphore, when you need it directly (metrics, tests):
 * const inUse = Effect.flatMap(Db, (semaphore) => semaphore.stats)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Resource<Name extends string>
  extends Context.Tag<Resource.Identifier<Name>, Semaphore.Semaphore>
{
  readonly [TypeId]: TypeId
  /** The name the resource is known by in errors, logs and metrics. */
  readonly name: Name
  /** The number of requests that may hold the resource at once. */
  readonly capacity: number | Config.Config<number>
}

/**
 * @since 0.1.0
 */
export declare namespace Resource {
  /**
   * The identifier of a resource in the `R` channel.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Identifier<Name extends string> {
    readonly "effect-concurrency-limiter/Resource": Name
  }

  /**
   * Any resource.
   *
   * @since 0.1.0
   * @category models
   */
  export type Any = Resource<any>

  /**
   * The identifiers of a list of resources, as they appear in `R`.
   *
   * @since 0.1.0
   * @category models
   */
  export type Identifiers<Resources extends ReadonlyArray<Any>> = Context.Tag.Identifier<Resources[number]>
}

/**
 * How to build a resource.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * How many requests may hold the resource at once: a positive safe integer,
   * or a `Config` that reads one (e.g. `Config.integer("DB_CONCURRENCY")`).
   * It is checked when the `Limiter` layer is built.
   */
  readonly capacity: number | Config.Config<number>
}

/**
 * Declares a resource. Declaring does not allocate anything: the semaphore
 * is created by `Limiter.layer`, which lists the resource.
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const Upstream = Resource.make("Upstream", {
 *   capacity: Config.integer("UPSTREAM_CONCURRENCY").pipe(Config.withDefault(20))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Name extends string>(name: Name, options: Options): Resource<Name> =>
  Object.assign(
    Context.GenericTag<Resource.Identifier<Name>, Semaphore.Semaphore>(`effect-concurrency-limiter/Resource/${name}`),
    { [TypeId]: TypeId, name, capacity: options.capacity } as const
  )

/**
 * Whether a value is a resource.
 *
 * @example
 * ```ts
 * import { Resource } from "effect-concurrency-limiter"
 *
 * Resource.isResource(Resource.make("Db", { capacity: 5 })) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isResource = (u: unknown): u is Resource.Any => hasProperty(u, TypeId)
