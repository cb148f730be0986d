/**
 * One limit across replicas: the same resources and the same guards as
 * `Limiter.layer`, with the permits held in Redis, so that a capacity holds
 * across every process that shares the Redis. An app moves from one process
 * to many by swapping its `Limiter.layer` for `RedisLimiter.layer` and
 * providing Redis; nothing else changes (`Resource.make`,
 * `Limiter.withResources`, `BusyError`, 503).
 *
 * Semantics (the Effect 3 line's docs/replicas.md has the design; the
 * scripts, keys and replies are the shared core's, so both lines can share
 * one limit):
 *
 * - **Bounded:** never more than `capacity` holders of a resource across all
 *   replicas, including when a replica dies or Redis restarts.
 * - **Leases:** a permit is a lease with a TTL (`leaseTtl`), renewed while its
 *   holder runs; a replica that dies frees its permits within the TTL. A
 *   holder whose lease could not be renewed in time is stopped and fails
 *   with `BusyError` (`reason: "lease-lost"`, a 503), with a warning in the
 *   log, before Redis could grant its permit to anyone else.
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
 * **Redis comes from Effect's own `Redis` service**
 * (`effect/persistence/Redis`), which the app provides as a layer — usually
 * `NodeRedis.layer` from `@effect/platform-node` (node-redis), or
 * `Redis.make` over any other client. Not from an `ioredis` client of its
 * own, as the Effect 3 line does: an Effect 4 app configures Redis once (URL,
 * TLS, credentials, reconnection) and shares it with the persistence
 * modules, tests can provide any `Redis`, and the limiter adds no
 * dependency. Everything the limiter needs is expressible through the
 * service: the scripts go by `EVALSHA`, and by `EVAL` once when Redis lacks
 * them (`send`); grants arrive on one `subscribe` per resource (with
 * `NodeRedis`, a connection each, which node-redis resubscribes after a
 * reconnection; the limiter subscribes again when a subscription fails, and
 * the heartbeat finds grants missed meanwhile). The
 * service reports no connection events, so reachability is read from the
 * commands: one that fails without a reply from Redis, or gets none within
 * `commandTimeout`, marks Redis unreachable, and a `PING` every 25–250 ms
 * finds it back; while idle, a `PING` per heartbeat notices a loss.
 *
 * With `NodeRedis.layer`: set `disableOfflineQueue: true`, so that a command
 * sent while the connection is down fails at once instead of waiting for
 * `commandTimeout`; a short `socket.reconnectStrategy` (e.g. 25–250 ms) keeps
 * holders running through a short outage (their leases are renewed every
 * quarter `leaseTtl`). Its client connects when its layer is built, so an
 * app whose Redis is down at start does not start (with the default
 * strategy) or waits for it; once started, the limiter serves through
 * outages as `failure` says.
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import type * as Layer from "effect/Layer"
import type * as Redis from "effect/persistence/Redis"
import * as internal from "./internal/redis/layer.js"
import type * as Limiter from "./Limiter.js"
import type { LimiterConfigError } from "./LimiterConfigError.js"
import type * as Resource from "./Resource.js"

/**
 * The options of `RedisLimiter.layer`: those of `Limiter.layer`, and how to
 * use Redis.
 *
 * @example
 * ```ts
 * import { type RedisLimiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * const options: RedisLimiter.Options<readonly [typeof Db]> = {
 *   resources: [Db],
 *   timeout: "2 seconds",
 *   leaseTtl: "10 seconds",
 *   failure: "open",
 *   replicas: 4
 * }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Options<Resources extends ReadonlyArray<Resource.Resource.Any>> extends Limiter.Options<Resources> {
  /**
   * How long a permit outlives its replica: a lease is renewed every quarter
   * of it while its holder runs, and a holder whose lease was not renewed
   * for three quarters of it fails with `BusyError` (`"lease-lost"`).
   * Default 5 seconds; at least 100 millis, at most 2^31 - 1 millis (24.8
   * days, the longest Node timer).
   */
  readonly leaseTtl?: Duration.Input | undefined
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
   * How long a Redis command may take before Redis counts as unreachable
   * for it. Default 1 second; at least 1 milli, at most 2^31 - 1 millis.
   */
  readonly commandTimeout?: Duration.Input | undefined
}

/**
 * Builds a limiter whose permits are held in Redis, through the `Redis`
 * service the app provides. It provides the same `Limiter` service and the
 * same resource tags as `Limiter.layer`, so guards (`Limiter.withResources`,
 * `Limiter.acquire`) are unchanged. Resources must have a fixed capacity (a
 * number or a `Config`), FIFO order and no partitions; anything else, or a
 * bad option, fails with `LimiterConfigError` before any request is served.
 * An unreachable Redis does not fail the layer: it serves according to
 * `failure`, and recovers when Redis comes back.
 *
 * The semaphore a resource tag yields (`yield* Db`) is the replica's local
 * share, used under `failure: "open"`; guard through `Limiter.withResources`
 * to hold permits in Redis. `setCapacity` and `reload` change the capacity
 * this replica applies: give every replica the same (e.g. from `Config`).
 * Leases, deadlines and heartbeats run on the wall clock, not on Effect's
 * `Clock`: under a `TestClock` they keep working but do not follow it.
 *
 * @example
 * ```ts
 * import * as NodeRedis from "@effect/platform-node/NodeRedis"
 * import * as Layer from "effect/Layer"
 * import { Limiter, RedisLimiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 *
 * // One process:
 * const Local = Limiter.layer({ timeout: "2 seconds", resources: [Db] })
 * // Many replicas, one capacity of 5 across them:
 * const Shared = RedisLimiter.layer({ timeout: "2 seconds", resources: [Db] }).pipe(
 *   Layer.provide(NodeRedis.layer({
 *     url: "redis://127.0.0.1:6379",
 *     disableOfflineQueue: true,
 *     socket: { reconnectStrategy: (retries) => Math.min(25 * (retries + 1), 250) }
 *   }))
 * )
 * ```
 *
 * @since 0.6.0
 * @category layers
 */
export const layer: <const Resources extends Limiter.NonEmptyResources>(
  options: Options<Resources>
) => Layer.Layer<
  Limiter.Limiter | Resource.Resource.Identifiers<Resources>,
  LimiterConfigError | Config.ConfigError,
  Redis.Redis
> = internal.layer
