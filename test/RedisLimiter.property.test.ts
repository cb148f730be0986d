/**
 * The bound under a random workload: 10,000 guarded acquisitions through
 * four RedisLimiter instances sharing one capacity, with random hold times,
 * random timeouts (some zero) and random interruptions of waiters and
 * holders. The test counts the guarded effects running at once: never above
 * the capacity. At the end Redis holds no lease and no waiter.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Scope } from "effect"
import { Limiter, RedisLimiter, Resource } from "effect-concurrency-limiter"
import { cleanKeys, client, REDIS_URL, uniquePrefix } from "./utils/redis.js"
import { skippedWithoutRedis } from "./utils/redisTests.js"


/** A small seeded generator (mulberry32), so a failing run can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("RedisLimiter under a random workload", () => {
  if (skippedWithoutRedis()) return

  it.live("never more holders than the capacity over 10,000 acquisitions with timeouts and interrupts", () =>
    Effect.gen(function*() {
      const seed = Date.now() % 1_000_000
      const next = random(seed)
      const capacity = 4
      const Db = Resource.make("Db", { capacity })
      const prefix = uniquePrefix("property")
      const scope = yield* Scope.Scope
      yield* Effect.addFinalizer(() => Effect.promise(() => cleanKeys(prefix)))
      const replicas = yield* Effect.forEach(
        Array.from({ length: 4 }),
        // Named apart: replicas alive at once in one process may not share metric series.
        (_, i) =>
          Layer.buildWithScope(
            RedisLimiter.layer({ name: `replica-${i}`, resources: [Db], timeout: "1 second", prefix, redis: REDIS_URL }),
            scope
          )
      )
      let running = 0
      let max = 0
      const outcomes = { served: 0, busy: 0, interrupted: 0 }
      const guarded = (holdMillis: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running++
            if (running > max) max = running
          }),
          () => holdMillis === 0 ? Effect.yieldNow() : Effect.sleep(Duration.millis(holdMillis)),
          () => Effect.sync(() => running--)
        )
      const one = () => {
        const replica = replicas[Math.floor(next() * replicas.length)]
        const roll = next()
        const timeout = roll < 0.1 ? Duration.zero : Duration.millis(1 + Math.floor(next() * 40))
        const hold = Math.floor(next() * 3)
        const run = guarded(hold).pipe(
          Limiter.withResources([Db], { timeout }),
          Effect.provide(replica),
          Effect.matchEffect({
            onFailure: () => Effect.sync(() => outcomes.busy++),
            onSuccess: () => Effect.sync(() => outcomes.served++)
          })
        )
        if (roll < 0.8) return run
        // Interrupted at a random moment: while it waits, or while it holds.
        return Effect.gen(function*() {
          const fiber = yield* Effect.fork(run)
          yield* Effect.sleep(Duration.millis(Math.floor(next() * 6)))
          const exit = yield* Fiber.interrupt(fiber)
          if (exit._tag === "Failure") outcomes.interrupted++
        })
      }
      const total = 10_000
      yield* Effect.forEach(Array.from({ length: total }), one, { concurrency: 48, discard: true })
      assert.isAtMost(max, capacity, `seed ${seed}: ${max} holders at once`)
      assert.strictEqual(max, capacity, `seed ${seed}: the capacity was never used in full`)
      assert.strictEqual(outcomes.served + outcomes.busy + outcomes.interrupted, total)
      // Progress, not speed: on a busy machine more of the short timeouts pass.
      assert.isAbove(outcomes.served, total / 10)
      // Waits given up leave the queue, and releases reach Redis before the guard returns.
      yield* Effect.sleep("50 millis")
      const redis = client()
      const [holders, waiters] = yield* Effect.promise(() =>
        Promise.all([redis.zcard(`${prefix}:{Db}:holders`), redis.zcard(`${prefix}:{Db}:waiters`)])
      )
      redis.disconnect()
      assert.deepStrictEqual({ holders, waiters }, { holders: 0, waiters: 0 }, `seed ${seed}`)
      console.log(`seed ${seed}: ${JSON.stringify(outcomes)}`)
    }).pipe(Effect.scoped), 60_000)
})
