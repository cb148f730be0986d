/**
 * Helpers of the RedisLimiter tests: limiter instances ("replicas") built in
 * the test's scope over a Redis client of their own, and Redis's own counts
 * of a resource's holders and waiters, polled rather than slept for.
 */
import { RedisLimiter } from "@effect-concurrency-limiter/effect4"
import type { Limiter } from "@effect-concurrency-limiter/effect4"
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Scope from "effect/Scope"
import { REDIS_URL, withClient } from "./redis.js"

/**
 * The `Redis` service as docs/replicas recommends it: a command sent while
 * the connection is down fails at once, and reconnections are tried every
 * 25–250 ms.
 */
export const redisLayer = (url = REDIS_URL) =>
  NodeRedis.layer({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(25 * (retries + 1), 250) }
  })

/** A `Redis` that never answers: every command and subscription fails as a refused connection does. */
export const unreachableRedis = Layer.effect(
  Redis.Redis,
  Redis.make({
    send: () => Effect.fail(new Redis.RedisError({ cause: new Error("connect ECONNREFUSED 127.0.0.1:1") })),
    subscribe: () => Effect.fail(new Redis.RedisError({ cause: new Error("connect ECONNREFUSED 127.0.0.1:1") })),
    connect: Effect.fail(new Redis.RedisError({ cause: new Error("connect ECONNREFUSED 127.0.0.1:1") }))
  })
)

/**
 * A `Redis` over the machine's whose commands can be cut off, as a replica
 * cut off from Redis by the network sees it: while `cut`, every command
 * fails as a refused connection does (its subscriptions stay, quiet).
 */
export const cuttableRedis = (url = REDIS_URL) => {
  const state = { cut: false }
  const layer = Layer.effect(
    Redis.Redis,
    Effect.map(Redis.Redis, (redis): Redis.Redis["Service"] => ({
      ...redis,
      send: (command, ...args) =>
        state.cut
          ? Effect.fail(new Redis.RedisError({ cause: new Error("connect ECONNREFUSED (cut off)") }))
          : redis.send(command, ...args)
    }))
  ).pipe(Layer.provide(redisLayer(url)))
  return { state, layer }
}

let replicas = 0

/**
 * A name of its own for an instance: instances alive at once in one
 * process may not share their metric series (a `name` and a resource name).
 */
export const replicaName = (): string => `replica-${++replicas}`

/**
 * One limiter instance (a "replica") in the test's scope, over its own
 * client of the Redis at `url`, named apart unless `options` name it.
 */
export const replica = <const Resources extends Limiter.NonEmptyResources>(
  options: RedisLimiter.Options<Resources>,
  redis: Layer.Layer<Redis.Redis, Redis.RedisError> = redisLayer()
) =>
  Effect.flatMap(Scope.Scope, (scope) =>
    Layer.buildWithScope(RedisLimiter.layer({ name: replicaName(), ...options }).pipe(Layer.provide(redis)), scope))

type Key = "holders" | "waiters"

/** How many holders (or waiters) of `resource` Redis counts under `prefix` now. */
export const countNow = (prefix: string, key: Key, resource = "Db", url = REDIS_URL) =>
  Effect.promise(() => withClient((redis) => redis.zCard(`${prefix}:{${resource}}:${key}`), url))

/** Polls Redis until `ok(count)`; a liveness bound (5 s), not a timing one. */
const pollCount = (prefix: string, key: Key, resource: string, ok: (n: number) => boolean, what: string) =>
  Effect.promise(() =>
    withClient(async (redis) => {
      for (let i = 0; i < 1000; i++) {
        if (ok(await redis.zCard(`${prefix}:{${resource}}:${key}`))) return
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`${prefix}: ${what} ${key} after 5 s`)
    })
  )

/** Waits until Redis counts at least `n` holders (or waiters): a fixed sleep would not do on a busy machine. */
export const counted = (prefix: string, key: Key, n: number, resource = "Db") =>
  pollCount(prefix, key, resource, (count) => count >= n, `fewer than ${n}`)

/** Waits until Redis counts exactly `n`: for a release sent without waiting for its answer. */
export const settles = (prefix: string, key: Key, n: number, resource = "Db") =>
  pollCount(prefix, key, resource, (count) => count === n, `not ${n}`)

/**
 * Marks `resource` under `prefix` as last used on this Redis server and not
 * fenced: a Redis up for less than the lease TTL would otherwise fence it
 * for a TTL (it cannot tell a first start from a restart), and the tests
 * with an hour's TTL (so that no heartbeat runs) would get nothing.
 */
export const unfenced = (prefix: string, resource = "Db") =>
  Effect.promise(() =>
    withClient(async (redis) => {
      const runId = /run_id:(\w+)/.exec(await redis.info("server"))![1]
      await redis.hSet(`${prefix}:{${resource}}:fence`, { run: runId, until: 0 })
    })
  )
