/**
 * RedisLimiter through an outage of a `redis-server` of the test's own (a
 * spare port, no persistence), killed with SIGKILL and started again empty.
 * The `Redis` service reports no connection events: the limiter learns of
 * the outage from its commands and of the return from its probes. Guards
 * fail closed (`"unavailable"`) while Redis is away, one log line says so
 * and one when it is back, a holder that outlives a short outage keeps
 * running (its lease re-registered in the empty Redis), and the capacity is
 * whole again after the fence. Skipped, with a plain message, when
 * `redis-server` is not installed.
 */
import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import { OwnRedis, sparePort } from "./utils/redis.js"
import { countNow, redisLayer, replica } from "./utils/redisLimiter.js"
import { skippedWithoutRedisServer } from "./utils/redisTests.js"

/** A logger that keeps the messages of the limiter's log lines. */
const capture = (lines: Array<string>) =>
  Logger.make(({ message }) => {
    const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
    if (text.startsWith("RedisLimiter:")) lines.push(text)
  })

describe("RedisLimiter through a Redis outage", () => {
  if (skippedWithoutRedisServer()) return

  it.live("fails closed while Redis is away, logs both changes, keeps a holder through a short outage, serves again after", () =>
    Effect.gen(function*() {
      const own = new OwnRedis(yield* Effect.promise(sparePort))
      yield* Effect.acquireRelease(Effect.promise(() => own.start()), () => Effect.promise(() => own.kill()))
      const Db = Resource.make("Db", { capacity: 2 })
      const lines: Array<string> = []
      // A 3 s TTL: renewed every 750 ms, a holder lost after 2.25 s without a renewal.
      const ctx = yield* replica({ resources: [Db], timeout: "0 millis", prefix: "ecl", leaseTtl: "3 seconds" }, redisLayer(own.url))
        .pipe(Effect.provideService(Logger.CurrentLoggers, new Set([capture(lines)])))
      const guard = Effect.result(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      // A fresh Redis fences a resource for a TTL (+ up to 2 s): wait until it grants.
      yield* guard.pipe(
        Effect.flatMap((r) => Result.isSuccess(r) ? Effect.void : Effect.fail(r.failure)),
        Effect.retry(Schedule.spaced("50 millis")),
        Effect.timeout("10 seconds")
      )
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(
        Limiter.withResources(Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(gate)), [Db]),
        ctx
      ))
      yield* Deferred.await(started)

      yield* Effect.promise(() => own.kill())
      // The first guard after the kill finds the connection gone: refused at once, as unavailable.
      const refused = yield* guard.pipe(
        Effect.flatMap((r) => Result.isFailure(r) && r.failure.reason === "unavailable" ? Effect.succeed(r.failure) : Effect.fail(r)),
        Effect.retry(Schedule.spaced("10 millis")),
        Effect.timeout("5 seconds")
      )
      assert.strictEqual(refused.resource, "Db")
      assert.isTrue(lines.some((line) => line.includes("Redis is unreachable") && line.includes("failing closed")), lines.join("\n"))

      // Back within half a TTL, empty: the holder re-registers its lease at its next renewal.
      yield* Effect.promise(() => own.start())
      yield* Effect.sync(() => undefined).pipe(
        Effect.flatMap(() => lines.some((line) => line.includes("reachable again")) ? Effect.void : Effect.fail("not yet")),
        Effect.retry(Schedule.spaced("20 millis")),
        Effect.timeout("5 seconds")
      )
      yield* Effect.promise(async () => {
        for (let i = 0; i < 500; i++) {
          if (await Effect.runPromise(countNow("ecl", "holders", "Db", own.url)) === 1) return
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        throw new Error("the holder's lease was not re-registered within 5 s")
      })
      assert.isUndefined(holder.pollUnsafe(), "the holder runs on")
      assert.strictEqual(lines.filter((line) => line.includes("Redis is unreachable")).length, 1, "one line per change")

      // After the fence, the capacity is whole again: the holder's permit and one more.
      yield* guard.pipe(
        Effect.flatMap((r) => Result.isSuccess(r) ? Effect.void : Effect.fail(r.failure)),
        Effect.retry(Schedule.spaced("50 millis")),
        Effect.timeout("10 seconds")
      )
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped), 40_000)
})
