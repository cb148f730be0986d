/**
 * One limit across replicas: the same resources and the same guards as
 * `Limiter.layer`, with the permits held in Redis, so that a capacity holds
 * across every process that shares the Redis. An app moves from one process
 * to many by swapping its `Limiter.layer` for `RedisLimiter.layer`; nothing
 * else changes (`Resource.make`, `Limiter.withResources`, `BusyError`, 503).
 *
 * Semantics (see docs/replicas.md for the design):
 *
 * - **Bounded:** never more than `capacity` holders of a resource across all
 *   replicas, including when a replica dies or Redis restarts.
 * - **Leases:** a permit is a lease with a TTL (`leaseTtl`), renewed while its
 *   holder runs; a replica that dies frees its permits within the TTL. A
 *   holder whose lease could not be renewed in time is stopped and fails
 *   with `BusyError` (`reason: "lease-lost"`, a 503), with a warning in the
 *   log, before Redis could grant its permit to anyone else. A permit
 *   granted to a waiter lasts what is left of the waiter's heartbeat until
 *   renewed, so a replica that dies while waiting frees it within the TTL.
 * - **Fair:** FIFO across replicas (a queue in Redis, each step one Lua
 *   script); a waiter that gives up (timeout, interruption, replica death)
 *   leaves the queue.
 * - **Prompt:** a freed permit is granted to the head of the queue inside the
 *   release script and published; the waiter's replica learns it from its
 *   subscription, without a round trip of its own and without polling.
 * - **Redis unreachable:** `failure: "closed"` (the default) refuses at once
 *   with `BusyError` (`reason: "unavailable"`); `failure: "open"` lets each
 *   replica admit its local share (`capacity / replicas`). Either way one
 *   log line says so, and another when Redis is back.
 *
 * @since 0.4.0
 */
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/redis/layer.js"
import type * as Limiter from "./Limiter.js"
import type { LimiterConfigError } from "./LimiterConfigError.js"
import type * as Resource from "./Resource.js"

/**
 * The options of `RedisLimiter.layer`: those of `Limiter.layer`, and where
 * Redis is and how to use it.
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { Resource, type RedisLimiter } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const options: RedisLimiter.Options<readonly [typeof Db]> = {
 *   resources: [Db],
 *   timeout: "2 seconds",
 *   redis: Config.string("CACHE_REDIS_URL"),
 *   leaseTtl: "10 seconds",
 *   failure: "open",
 *   replicas: 4
 * }
 * ```
 *
 * @since 0.4.0
 * @category models
 */
export interface Options<Resources extends ReadonlyArray<Resource.Resource.Any>> extends Limiter.Options<Resources> {
  /**
   * The Redis URL (`redis://` or `rediss://`), or a `Config` of one.
   * Default: `REDIS_URL`, else `redis://127.0.0.1:6379`.
   */
  readonly redis?: string | Config.Config<string> | undefined
  /**
   * How long a permit outlives its replica: a lease is renewed every quarter
   * of it while its holder runs, and a holder whose lease was not renewed
   * for three quarters of it fails with `BusyError` (`"lease-lost"`). Default 5 seconds; at least 100
   * millis, at most 2^31 - 1 millis (24.8 days, the longest Node timer).
   */
  readonly leaseTtl?: Duration.DurationInput | undefined
  /**
   * What guards do while Redis is unreachable: `"closed"` (default) refuses
   * at once with `BusyError` (`reason: "unavailable"`); `"open"` admits up
   * to the replica's local share of each resource.
   */
  readonly failure?: "closed" | "open" | undefined
  /**
   * The number of replicas, for the local share under `failure: "open"`:
   * `floor(capacity / replicas)`, at least 1. Default 1.
   */
  readonly replicas?: number | undefined
  /** The prefix of the Redis keys. Replicas that share a limit share it. Default `"ecl"`. */
  readonly prefix?: string | undefined
  /**
   * How long a Redis command may take before Redis counts as unreachable for
   * it. Default 1 second; at least 1 milli, at most 2^31 - 1 millis.
   */
  readonly commandTimeout?: Duration.DurationInput | undefined
}

/**
 * Builds a limiter whose permits are held in Redis. It provides the same
 * `Limiter` service and the same resource tags as `Limiter.layer`, so
 * guards (`Limiter.withResources`) are unchanged. Resources must have a
 * fixed capacity (a number or a `Config`), FIFO order and no partitions;
 * anything else, or a bad option, fails with `LimiterConfigError` before
 * any request is served. An unreachable Redis does not fail the layer: it
 * serves according to `failure`, and recovers when Redis comes.
 *
 * The semaphore a resource tag yields (`yield* Db`) is the replica's local
 * share, used under `failure: "open"`; guard through `Limiter.withResources`
 * to hold permits in Redis. `setCapacity` and `reload` change the capacity
 * this replica applies: give every replica the same (e.g. from `Config`).
 *
 * @example
 * ```ts
 * import { Limiter, RedisLimiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * // One process:
 * const Local = Limiter.layer({ timeout: "2 seconds", resources: [Db] })
 * // Many replicas, one capacity of 5 across them (Redis at REDIS_URL):
 * const Shared = RedisLimiter.layer({ timeout: "2 seconds", resources: [Db] })
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layer: <const Resources extends Limiter.NonEmptyResources>(
  options: Options<Resources>
) => Layer.Layer<Limiter.Limiter | Resource.Resource.Identifiers<Resources>, LimiterConfigError | ConfigError.ConfigError> =
  internal.layer
