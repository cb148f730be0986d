/**
 * A grant and an interruption in the same tick (a client that disconnects
 * just as Redis grants its permit): whichever the waiting fiber sees first,
 * the permit goes back to Redis. The race is made to happen, not hoped for:
 * Redis grants the waiter (a release by the test), and the test then
 * resumes the wait with that grant and interrupts the fiber in one
 * synchronous step, before the fiber runs again.
 */
import { keysOf } from "@effect-concurrency-limiter/core/redis/keys"
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { BusyErrors } from "../src/internal/busyErrors.js"
import { connect } from "../src/internal/redis/connection.js"
import { makeGuard } from "../src/internal/redis/guard.js"
import { Permits } from "@effect-concurrency-limiter/core/redis/permits"
import { RemoteResource } from "@effect-concurrency-limiter/core/redis/remote"
import type * as Resource from "../src/Resource.js"
import { isInterrupted } from "./utils/effects.js"
import { REDIS_URL, withClient } from "./utils/redis.js"
import { cleanedPrefixes, skippedWithoutRedis } from "./utils/redisTests.js"

const prefixFor = cleanedPrefixes()
// The guard reads only the resource's name: the layer resolves the rest.
const Db = { name: "Db" } as Resource.Resource.Any
const ttl = 5000

/** One replica's guard over `Db`, without the layer's heartbeat and subscription: the test plays both. */
const replica = (prefix: string) =>
  Effect.gen(function*() {
    const redis = yield* Layer.build(NodeRedis.layer({ url: REDIS_URL }))
    const connection = yield* connect({
      commandTimeoutMillis: 1000,
      channels: [],
      onMessage: () => {},
      onRecovered: () => {},
      whileDown: "failing closed"
    }).pipe(Effect.provide(redis))
    const keys = keysOf(prefix, Db.name)
    const args = { channel: keys.channel, capacity: 1, leaseTtlMillis: ttl, queueTtlMillis: ttl }
    const resource = new RemoteResource(Db.name, keys, args, Infinity, null)
    const permits = new Permits(connection.scripts, "race", ttl, () => {})
    const guard = makeGuard(permits, () => resource, () => true, () => Effect.die("unreachable"), new BusyErrors())
    return { scripts: connection.scripts, keys, args, resource, guard }
  })

/** Polls Redis until `check` holds (a liveness bound of 5 s, not a timing one). */
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
        const prefix = prefixFor("grantrace")
        const { args, guard, keys, resource, scripts } = yield* replica(prefix)
        const [holders, waiters] = [keys.keys[0], keys.keys[1]]
        // Someone else holds the only permit: the guard queues.
        assert.strictEqual(yield* Effect.promise(() => scripts.acquire(keys, args, "other:1", Infinity, true)), 1)
        let ran = false
        const fiber = yield* Effect.forkChild(guard.guard(Effect.sync(() => ran = true), [Db], Duration.infinity))
        yield* settles(() => withClient(async (redis) => resource.waiting.size === 1 && (await redis.zCard(waiters)) === 1))
        const [wait] = resource.waiting.values()
        // Redis grants the waiter (its replica would hear it on its channel)...
        yield* Effect.promise(() => scripts.release(keys, args, ["other:1"]))
        assert.deepStrictEqual(yield* Effect.promise(() => withClient((redis) => redis.zRange(holders, 0, -1))), [wait.id])
        // ...and the grant and the interruption reach the fiber in one step.
        if (order === "grant, then interrupt") {
          wait.grant(Date.now())
          fiber.interruptUnsafe()
        } else {
          fiber.interruptUnsafe()
          wait.grant(Date.now())
        }
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(isInterrupted(exit))
        assert.isFalse(ran)
        assert.strictEqual(resource.leases.size, 0, "no lease left for the heartbeat to renew")
        // The release sent on the interruption is fire and forget: Redis gets it soon.
        yield* settles(() =>
          withClient(async (redis) => (await redis.zCard(holders)) === 0 && (await redis.zCard(waiters)) === 0)
        )
        assert.strictEqual(
          yield* Effect.promise(() => scripts.acquire(keys, args, "other:2", Infinity, false)),
          1,
          "the permit is free again"
        )
      }))
  }
})
