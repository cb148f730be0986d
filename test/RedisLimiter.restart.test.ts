/**
 * RedisLimiter while its Redis restarts: the test runs a `redis-server` of
 * its own, without persistence, on a spare port, kills it (SIGKILL) under
 * load and starts it again, empty. The bound holds throughout (guards fail
 * closed while Redis is away; holders from before re-register their leases
 * and no permit is granted for one lease TTL after the restart), and no
 * permit is lost for good: afterwards the whole capacity can be taken at
 * once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Scope } from "effect"
import { Limiter, RedisLimiter, Resource } from "effect-concurrency-limiter"
import * as fs from "node:fs"
import { OwnRedis, sparePort } from "./utils/redis.js"

const serverInstalled = fs.existsSync("/usr/bin/redis-server")

describe("RedisLimiter while Redis restarts", () => {
  if (!serverInstalled) {
    it.skip("/usr/bin/redis-server is not installed, so the restart was not tested", () => {})
    return
  }

  it.live("keeps the bound, refuses while Redis is away, and loses no permit for good", () =>
    Effect.gen(function*() {
      const redis = new OwnRedis(yield* Effect.promise(sparePort))
      yield* Effect.acquireRelease(Effect.promise(() => redis.start()), () => Effect.promise(() => redis.kill()))
      const capacity = 3
      const leaseTtlMillis = 1000
      // A Redis up for less than a lease TTL cannot tell a first start from
      // a restart, so it grants nothing until then (the fence): let that pass.
      yield* Effect.sleep(Duration.millis(leaseTtlMillis))
      const Db = Resource.make("Db", { capacity })
      const scope = yield* Scope.Scope
      const replicas = yield* Effect.forEach(
        Array.from({ length: 3 }),
        () =>
          Layer.buildWithScope(
            RedisLimiter.layer({
              resources: [Db],
              timeout: "200 millis",
              redis: redis.url,
              leaseTtl: Duration.millis(leaseTtlMillis),
              commandTimeout: "300 millis"
            }),
            scope
          )
      )
      let running = 0
      let max = 0
      let phase: "before" | "away" | "after" = "before"
      const served = { before: 0, away: 0, after: 0 }
      const refused = { timeout: 0, "queue-full": 0, unavailable: 0 }
      const guarded = (i: number, holdMillis: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running++
            if (running > max) max = running
          }),
          () => Effect.sleep(Duration.millis(holdMillis)),
          () => Effect.sync(() => running--)
        ).pipe(
          Limiter.withResources([Db]),
          Effect.provide(replicas[i % replicas.length]),
          Effect.matchEffect({
            onFailure: (error) => Effect.sync(() => refused[error.reason]++),
            onSuccess: () => Effect.sync(() => served[phase]++)
          })
        )
      let stop = false
      const worker = (i: number) =>
        Effect.suspend(() => guarded(i, 1 + Math.floor(Math.random() * 15))).pipe(
          Effect.zipRight(Effect.sleep(Duration.millis(Math.floor(Math.random() * 5)))),
          Effect.repeat({ while: () => !stop })
        )
      const workers = yield* Effect.forEach(Array.from({ length: 16 }, (_, i) => i), (i) => Effect.fork(worker(i)))
      // Two long holders from before the restart: they re-register their
      // leases after it, or are interrupted if they cannot; never both running and uncounted.
      const long = yield* Effect.forEach([0, 1], (i) => Effect.fork(Effect.exit(guarded(i, 2500))))

      yield* Effect.sleep("1 second")
      phase = "away"
      yield* Effect.promise(() => redis.kill())
      yield* Effect.sleep("300 millis")
      yield* Effect.promise(() => redis.start())
      phase = "after"
      yield* Effect.sleep("3 seconds")
      stop = true
      yield* Effect.forEach(workers, Fiber.join)
      // A long holder whose lease could not be renewed in time was interrupted (its fiber, as a whole).
      const longExits = yield* Effect.forEach(long, Fiber.await)
      console.log(
        `restart: served ${JSON.stringify(served)}, refused ${JSON.stringify(refused)}, max ${max}, ` +
          `long holders ${longExits.map((e) => e._tag === "Success" ? "completed" : "interrupted").join(", ")}`)

      assert.isAtMost(max, capacity, "never more holders than the capacity")
      assert.isAbove(served.before, 0)
      assert.isAbove(served.after, 0, "served again once Redis was back")
      assert.isAbove(refused.unavailable, 0, "refused at once while Redis was away (fail closed)")

      // No permit lost for good: the whole capacity at once, from one replica.
      const entered = yield* Effect.forEach(Array.from({ length: capacity }), () => Deferred.make<void>())
      const gate = yield* Deferred.make<void>()
      const holders = yield* Effect.forEach(entered, (d) =>
        Effect.fork(
          Effect.provide(
            Limiter.withResources(Effect.zipRight(Deferred.succeed(d, undefined), Deferred.await(gate)), [Db], {
              timeout: Duration.millis(leaseTtlMillis + 1000)
            }),
            replicas[0]
          )
        ))
      yield* Effect.forEach(entered, Deferred.await)
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(holders, Fiber.join)
    }).pipe(Effect.scoped), 30_000)
})
