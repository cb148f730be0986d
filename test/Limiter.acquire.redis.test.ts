/**
 * `Limiter.acquire` with a `RedisLimiter` (the machine's Redis): the scope
 * holds a lease until it closes, a queued acquisition interrupted leaves
 * the queue, and a deadline fails with `BusyError`. Real time, with bounds
 * far from what is measured (polls of Redis, no fixed sleeps).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { BusyError, Limiter, RedisLimiter, Resource } from "effect-concurrency-limiter"
import { afterAll } from "vitest"
import { cleanKeys, client, REDIS_URL, uniquePrefix } from "./utils/redis.js"
import { redisUp, skippedWithoutRedis } from "./utils/redisTests.js"

const prefix = uniquePrefix("acquire")
afterAll(async () => {
  if (redisUp) await cleanKeys(prefix)
})

const Db = Resource.make("Db", { capacity: 1 })

/** Holders and waiters of Db under this file's prefix, polled until they are `[holders, waiters]` (at most 5 s). */
const counts = (holders: number, waiters: number) =>
  Effect.promise(async () => {
    const redis = client()
    try {
      let now: [number, number] = [-1, -1]
      for (let i = 0; i < 500; i++) {
        now = [await redis.zcard(`${prefix}:{Db}:holders`), await redis.zcard(`${prefix}:{Db}:waiters`)]
        if (now[0] === holders && now[1] === waiters) return now
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return now
    } finally {
      redis.disconnect()
    }
  })

describe("Limiter.acquire with a RedisLimiter", () => {
  if (skippedWithoutRedis()) return
  const RedisLive = RedisLimiter.layer({ resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL })

  it.live("holds a lease for the scope's life; a queued acquisition interrupted leaves the queue", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* Limiter.acquire([Db]).pipe(Scope.extend(scope))
      assert.deepStrictEqual(yield* counts(1, 0), [1, 0], "held")
      const queued = yield* Effect.fork(Effect.scoped(Limiter.acquire([Db])))
      assert.deepStrictEqual(yield* counts(1, 1), [1, 1], "queued")
      // Promptly: not after the 10 s timeout.
      const interrupting = yield* Effect.timed(Fiber.interrupt(queued))
      assert.isBelow(Duration.toMillis(interrupting[0]), 5000)
      assert.deepStrictEqual(yield* counts(1, 0), [1, 0], "left the queue")
      const timedOut = yield* Effect.flip(Effect.scoped(Limiter.acquire([Db], { timeout: "50 millis" })))
      assert.instanceOf(timedOut, BusyError.BusyError)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* counts(0, 0), [0, 0], "released")
      yield* Effect.scoped(Limiter.acquire([Db]))
      assert.deepStrictEqual(yield* counts(0, 0), [0, 0])
    }).pipe(Effect.provide(Layer.fresh(RedisLive))))
})
