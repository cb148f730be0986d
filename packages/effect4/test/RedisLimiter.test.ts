/**
 * RedisLimiter against the machine's Redis (127.0.0.1:6379): the same
 * guards as Limiter.layer, with several limiter instances in this process
 * standing for replicas, each over a client of its own. Skipped, with a
 * plain message, when no Redis is reachable; the option checks and the
 * unreachable Redis (a `Redis` service that never answers) run either way.
 */
import { BusyError, Limit, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { RedisLimiter } from "@effect-concurrency-limiter/effect4"
import { Scripts } from "@effect-concurrency-limiter/core/redis/client"
import { keysOf } from "@effect-concurrency-limiter/core/redis/keys"
import { client } from "./utils/redis.js"
import { counted, countNow, replica, settles, unfenced, unreachableRedis } from "./utils/redisLimiter.js"
import { cleanedPrefixes, skippedWithoutRedis } from "./utils/redisTests.js"

const prefixFor = cleanedPrefixes()

describe("RedisLimiter options", () => {
  const Db = Resource.make("Db", { capacity: 2 })
  const fails = (options: RedisLimiter.Options<any>, field: string) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(RedisLimiter.layer(options).pipe(Layer.provide(unreachableRedis)))))
      assert.strictEqual(error._tag, "LimiterConfigError")
      assert.include(error.message, field)
    })

  it.effect("a lease TTL under 100 millis is refused, naming the option and value", () =>
    fails({ resources: [Db], timeout: "1 second", leaseTtl: "10 millis" }, "leaseTtl"))
  it.effect("an unknown failure mode is refused", () =>
    fails({ resources: [Db], timeout: "1 second", failure: "sometimes" as any }, "failure"))
  it.effect("a partitioned resource is refused", () =>
    fails({
      resources: [Resource.make("Search", { capacity: 4, partitions: { a: 0.5, b: 0.5 } })],
      timeout: "1 second"
    }, "resources[0].partitions"))
  it.effect("a LIFO resource is refused", () =>
    fails({ resources: [Resource.make("Lifo", { capacity: 4, order: "lifo" })], timeout: "1 second" }, "order"))
  it.effect("an adaptive resource is refused", () =>
    fails({
      resources: [Resource.make("Adaptive", { capacity: Limit.aimd({ initial: 4 }) })],
      timeout: "1 second"
    }, "resources[0].capacity"))
  it.effect("a bad capacity is refused", () =>
    fails({ resources: [Resource.make("Zero", { capacity: 0 })], timeout: "1 second" }, "resources[0].capacity"))
  it.effect("a name or prefix that cannot be part of a Redis hash tag is refused", () =>
    Effect.gen(function*() {
      yield* fails({ resources: [Resource.make("D{b}", { capacity: 1 })], timeout: "1 second" }, "resources[0].name")
      yield* fails({ resources: [Db], timeout: "1 second", prefix: "a b" }, "prefix")
    }))
})

describe("RedisLimiter when Redis is unreachable", () => {
  const Db = Resource.make("Db", { capacity: 4 })

  it.live("fails closed by default: BusyError with reason \"unavailable\" at once", () =>
    Effect.gen(function*() {
      // An hour's timeout: a guard that waited for it would outlast the test's own timeout.
      const ctx = yield* replica({ resources: [Db], timeout: "1 hour" }, unreachableRedis)
      const error = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.instanceOf(error, BusyError.BusyError)
      assert.strictEqual(error.reason, "unavailable")
    }).pipe(Effect.scoped))

  it.live("fails open on request: each replica admits its local share", () =>
    Effect.gen(function*() {
      const ctx = yield* replica({ resources: [Db], timeout: "0 millis", failure: "open", replicas: 2 }, unreachableRedis)
      let running = 0
      let max = 0
      let decided = 0
      // The admitted hold until all six are decided: a latch, not a sleep.
      const gate = yield* Deferred.make<void>()
      const task = Effect.acquireUseRelease(
        Effect.sync(() => (max = Math.max(max, ++running), decided++)),
        () => Deferred.await(gate),
        () => Effect.sync(() => running--)
      ).pipe(
        Limiter.withResources([Db]),
        Effect.result,
        Effect.tap((r) => Effect.sync(() => Result.isFailure(r) && decided++))
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 6 }), () => Effect.forkChild(Effect.provide(task, ctx)))
      while (decided < 6) yield* Effect.yieldNow
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(max, 2)
      assert.strictEqual(results.filter(Result.isSuccess).length, 2)
    }).pipe(Effect.scoped))

  it.live("enabled: false makes every guard a pass-through, Redis or not", () =>
    Effect.gen(function*() {
      const ctx = yield* replica({ resources: [Db], timeout: "5 seconds", enabled: false }, unreachableRedis)
      assert.strictEqual(yield* Effect.provide(Limiter.withResources(Effect.succeed(1), [Db]), ctx), 1)
    }).pipe(Effect.scoped))
})

describe("RedisLimiter", () => {
  if (skippedWithoutRedis()) return

  it.live("bounds concurrent holders across several instances in one process", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 3 })
      const prefix = prefixFor("bound")
      const replicas = yield* Effect.all(Array.from({ length: 3 }, () => replica({ resources: [Db], timeout: "10 seconds", prefix })))
      let running = 0
      let max = 0
      const task = (i: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => max = Math.max(max, ++running)),
          () => Effect.sleep(Duration.millis(5 + (i % 7))),
          () => Effect.sync(() => running--)
        ).pipe(Limiter.withResources([Db]), Effect.provide(replicas[i % 3]))
      yield* Effect.all(Array.from({ length: 60 }, (_, i) => task(i)), { concurrency: "unbounded" })
      assert.strictEqual(max, 3)
      assert.deepStrictEqual([yield* countNow(prefix, "holders"), yield* countNow(prefix, "waiters")], [0, 0])
    }).pipe(Effect.scoped))

  it.live("serves waiters in arrival order across instances", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("fifo")
      const replicas = yield* Effect.all(Array.from({ length: 3 }, () => replica({ resources: [Db], timeout: "10 seconds", prefix })))
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), replicas[0]))
      yield* counted(prefix, "holders", 1)
      const order: Array<number> = []
      const fibers: Array<Fiber.Fiber<unknown, BusyError.BusyError>> = []
      for (let i = 0; i < 12; i++) {
        fibers.push(
          yield* Effect.forkChild(
            Effect.provide(Limiter.withResources(Effect.sync(() => order.push(i)), [Db]), replicas[(i % 2) + 1])
          )
        )
        // Each waiter is queued in Redis before the next arrives.
        yield* counted(prefix, "waiters", i + 1)
      }
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Effect.forEach(fibers, Fiber.join)
      assert.deepStrictEqual(order, Array.from({ length: 12 }, (_, i) => i))
    }).pipe(Effect.scoped))

  it.live("a freed permit wakes a waiter on another instance at once (pub/sub, not the heartbeat)", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("prompt")
      // An hour's TTL: the heartbeat beats every 15 minutes, so it never
      // runs here; a queued waiter served at all was woken by the grant
      // published on its channel.
      const options = { resources: [Db], timeout: "1 hour", prefix, leaseTtl: "1 hour" } as const
      yield* unfenced(prefix)
      const [a, b] = yield* Effect.all([replica(options), replica(options)])
      for (let i = 0; i < 5; i++) {
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), a))
        yield* counted(prefix, "holders", 1)
        const waiter = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Effect.succeed("served"), [Db]), b))
        yield* counted(prefix, "waiters", 1)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        assert.strictEqual(yield* Fiber.join(waiter), "served")
      }
    }).pipe(Effect.scoped))

  it.live("a waiter that times out leaves the queue, and gets BusyError naming the resource", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("timeout")
      // An hour's TTL: no heartbeat runs here, so only the guard's own timer can end its wait.
      yield* unfenced(prefix)
      const ctx = yield* replica({ resources: [Db], timeout: "100 millis", prefix, leaseTtl: "1 hour" })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      const started = Date.now()
      const error = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      const waited = Date.now() - started
      assert.instanceOf(error, BusyError.BusyError)
      assert.deepStrictEqual([error.reason, error.resource], ["timeout", "Db"])
      // Not before its deadline (Node may fire a timer up to 1 ms early).
      // No upper bound: a load only makes it later, and a timer never armed
      // would outlast the test's own timeout.
      assert.isAtLeast(waited, 99)
      // Its release is sent without waiting for the answer.
      yield* settles(prefix, "waiters", 0)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("an interrupted waiter leaves the queue and the next one is served", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("interrupt")
      const options = { resources: [Db], timeout: "10 seconds", prefix } as const
      const [a, b] = yield* Effect.all([replica(options), replica(options)])
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), a))
      yield* counted(prefix, "holders", 1)
      const quitter = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Effect.void, [Db]), b))
      yield* counted(prefix, "waiters", 1)
      const next = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Effect.succeed("served"), [Db]), a))
      yield* counted(prefix, "waiters", 2)
      yield* Fiber.interrupt(quitter)
      yield* Deferred.succeed(gate, undefined)
      assert.strictEqual(yield* Fiber.join(next), "served")
      yield* Fiber.join(holder)
      assert.strictEqual(yield* countNow(prefix, "waiters"), 0)
      assert.strictEqual(yield* countNow(prefix, "holders"), 0)
    }).pipe(Effect.scoped))

  it.live("a full queue refuses at once with reason \"queue-full\"; a zero timeout refuses at once", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1, maxWaiting: 1 })
      const prefix = prefixFor("queuefull")
      const ctx = yield* replica({ resources: [Db], timeout: "10 seconds", prefix })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      const waiter = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      yield* counted(prefix, "waiters", 1)
      const full = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.strictEqual(full.reason, "queue-full")
      const zero = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db], { timeout: Duration.zero }), ctx))
      assert.strictEqual(zero.reason, "timeout")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(waiter)
    }).pipe(Effect.scoped))

  it.live("guards over two resources take both and give both back", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      const Fs = Resource.make("Fs", { capacity: 1 })
      const prefix = prefixFor("two")
      const ctx = yield* replica({ resources: [Db, Fs], timeout: "10 seconds", prefix })
      let running = 0
      let max = 0
      const task = Effect.acquireUseRelease(
        Effect.sync(() => max = Math.max(max, ++running)),
        () => Effect.sleep("5 millis"),
        () => Effect.sync(() => running--)
      ).pipe(Limiter.withResources([Fs, Db]), Effect.provide(ctx))
      yield* Effect.all(Array.from({ length: 10 }, () => task), { concurrency: "unbounded" })
      assert.strictEqual(max, 1)
      const stats = yield* Effect.provide(Effect.flatMap(Limiter.Limiter, (l) => l.stats), ctx)
      assert.deepStrictEqual(stats.map((s) => [s.resource, s.inUse, s.waiting]), [["Db", 0, 0], ["Fs", 0, 0]])
    }).pipe(Effect.scoped))

  it.live("setCapacity changes the capacity this replica applies, at once", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("resize")
      const ctx = yield* replica({ resources: [Db], timeout: "0 millis", prefix })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      const once = Effect.result(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.isTrue(Result.isFailure(yield* once))
      yield* Effect.provide(Limiter.setCapacity(Db, 2), ctx)
      assert.isTrue(Result.isSuccess(yield* once))
      const error = yield* Effect.flip(Effect.provide(Limiter.setCapacity(Db, 0), ctx))
      assert.include(error.message, "capacity")
      const stats = yield* Effect.provide(Effect.flatMap(Limiter.Limiter, (l) => l.stats), ctx)
      assert.deepStrictEqual(stats.map((s) => [s.capacity, s.inUse]), [[2, 1]])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("the resource tag yields the replica's local share, a plain semaphore", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 6 })
      const prefix = prefixFor("tag")
      const ctx = yield* replica({ resources: [Db], timeout: "1 second", prefix, replicas: 3 })
      const stats = yield* Effect.provide(Effect.flatMap(Db, (s) => s.stats), ctx)
      assert.strictEqual(stats.capacity, 2)
    }).pipe(Effect.scoped))

  it.live("shares one limit with the core's scripts sent directly, as the Effect 3 line sends them: same keys, ids and replies", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("lines")
      const ctx = yield* replica({ resources: [Db], timeout: "0 millis", prefix })
      // Another line's replica: the core's Scripts over a client of its own.
      const other = yield* Effect.acquireRelease(
        Effect.promise(() => client()),
        (redis) => Effect.sync(() => redis.destroy())
      )
      const scripts = new Scripts({
        evalsha: (sha1, n, ...args) => other.sendCommand(["EVALSHA", sha1, String(n), ...args]),
        eval: (lua, n, ...args) => other.sendCommand(["EVAL", lua, String(n), ...args])
      })
      const keys = keysOf(prefix, "Db")
      const args = { channel: keys.channel, capacity: 1, leaseTtlMillis: 5000, queueTtlMillis: 5000 }
      // Its holder blocks this line's guards...
      assert.strictEqual(yield* Effect.promise(() => scripts.acquire(keys, args, "other:1", Infinity, false)), 1)
      const refused = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.strictEqual(refused.reason, "timeout")
      yield* Effect.promise(() => scripts.release(keys, args, ["other:1"]))
      // ...and this line's holder blocks it.
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(
        Limiter.withResources(Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(gate)), [Db]),
        ctx
      ))
      yield* Deferred.await(started)
      assert.strictEqual(yield* Effect.promise(() => scripts.acquire(keys, args, "other:2", Infinity, false)), -2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      assert.strictEqual(yield* Effect.promise(() => scripts.acquire(keys, args, "other:3", Infinity, false)), 1)
      yield* Effect.promise(() => scripts.release(keys, args, ["other:3"]))
    }).pipe(Effect.scoped))
})
