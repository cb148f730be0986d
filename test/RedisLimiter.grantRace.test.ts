/**
 * A grant and an interruption in the same tick (a client that disconnects
 * just as Redis grants its permit): whichever the waiting fiber sees first,
 * the permit goes back to Redis. The race is made to happen, not hoped for:
 * Redis grants the waiter (a release by the test), and the test then
 * resumes the wait with that grant and interrupts the fiber in one
 * synchronous step, before the fiber runs again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, FiberId } from "effect"
import { Resource } from "effect-concurrency-limiter"
import { BusyErrors } from "../src/internal/busyErrors.js"
import { makeBackend } from "../src/internal/redis/guard.js"
import { Permits } from "@effect-concurrency-limiter/core/redis/permits"
import { RemoteResource } from "@effect-concurrency-limiter/core/redis/remote"
import { Scripts } from "@effect-concurrency-limiter/core/redis/client"
import { keysOf } from "@effect-concurrency-limiter/core/redis/keys"
import { cleanKeys, client, uniquePrefix } from "./utils/redis.js"
import { skippedWithoutRedis } from "./utils/redisTests.js"

const Db = Resource.make("Db", { capacity: 1 })
const ttl = 5000

/** One replica's guard over `Db`, without the layer's heartbeat and subscription: the test plays both. */
const replica = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const redis = client()
      const scripts = new Scripts(redis)
      const keys = keysOf(prefix, Db.name)
      const args = { channel: keys.channel, capacity: 1, leaseTtlMillis: ttl, queueTtlMillis: ttl }
      const resource = new RemoteResource(Db.name, keys, args, Infinity, null)
      const permits = new Permits(scripts, "race", ttl, () => {})
      const backend = makeBackend(permits, () => resource, () => true, () => Effect.die("unreachable"), new BusyErrors())
      return { redis, scripts, keys, args, resource, backend }
    }),
    ({ redis }) => Effect.sync(() => redis.disconnect())
  )

const settles = (check: () => Promise<boolean>) =>
  Effect.promise(async () => {
    for (let i = 0; i < 1000; i++) {
      if (await check()) return
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    throw new Error("not settled after 5 s")
  })

describe("RedisLimiter: a grant and an interruption in the same tick", () => {
  if (skippedWithoutRedis()) return

  for (const order of ["grant, then interrupt", "interrupt, then grant"] as const) {
    it.live(`the permit granted to an interrupted waiter goes back to Redis (${order})`, () =>
      Effect.gen(function*() {
        const prefix = uniquePrefix("grantrace")
        yield* Effect.addFinalizer(() => Effect.promise(() => cleanKeys(prefix)))
        const { args, backend, keys, redis, resource, scripts } = yield* replica(prefix)
        const [holders, waiters] = [keys.keys[0], keys.keys[1]]
        // Someone else holds the only permit: the guard queues.
        assert.strictEqual(yield* Effect.promise(() => scripts.acquire(keys, args, "other:1", Infinity, true)), 1)
        let ran = false
        const fiber = yield* Effect.fork(backend.guard(Effect.sync(() => ran = true), [Db], Duration.infinity))
        yield* settles(async () => resource.waiting.size === 1 && (await redis.zcard(waiters)) === 1)
        const [wait] = resource.waiting.values()
        // Redis grants the waiter (its replica would hear it on its channel)...
        yield* Effect.promise(() => scripts.release(keys, args, ["other:1"]))
        assert.deepStrictEqual(yield* Effect.promise(() => redis.zrange(holders, 0, -1)), [wait.id])
        // ...and the grant and the interruption reach the fiber in one step.
        if (order === "grant, then interrupt") {
          wait.grant(Date.now())
          fiber.unsafeInterruptAsFork(FiberId.none)
        } else {
          fiber.unsafeInterruptAsFork(FiberId.none)
          wait.grant(Date.now())
        }
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        assert.isFalse(ran)
        // Quiescence: Redis runs one connection's commands in order, so once
        // this PING is answered the release sent on the interruption ran.
        yield* Effect.promise(() => redis.ping())
        assert.strictEqual(resource.leases.size, 0, "no lease left for the heartbeat to renew")
        assert.deepStrictEqual(
          yield* Effect.promise(() => Promise.all([redis.zcard(holders), redis.zcard(waiters)])),
          [0, 0],
          "no holder and no waiter left in Redis"
        )
        assert.strictEqual(
          yield* Effect.promise(() => scripts.acquire(keys, args, "other:2", Infinity, false)),
          1,
          "the permit is free again"
        )
      }).pipe(Effect.scoped))
  }
})
