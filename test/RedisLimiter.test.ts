/**
 * RedisLimiter against the machine's Redis (127.0.0.1:6379): the same
 * guards as Limiter.layer, with several limiter instances in this process
 * standing for replicas. Skipped, with a plain message, when no Redis is
 * reachable; the option checks run either way.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Exit, Fiber, Layer, Metric, Schedule, Scope } from "effect"
import { BusyError, Limit, Limiter, Metrics, RedisLimiter, Resource } from "effect-concurrency-limiter"
import { HttpServerRespondable } from "@effect/platform"
import { client, REDIS_URL, sparePort } from "./utils/redis.js"
import { cleanedPrefixes, skippedWithoutRedis } from "./utils/redisTests.js"

const prefixFor = cleanedPrefixes()

/** How many holders (or waiters) of `resource` Redis counts under `prefix` now. */
const countNow = (prefix: string, key: "holders" | "waiters", resource = "Db") =>
  Effect.promise(async () => {
    const redis = client()
    try {
      return await redis.zcard(`${prefix}:{${resource}}:${key}`)
    } finally {
      redis.disconnect()
    }
  })

/**
 * Waits until Redis counts at least `n` holders (or waiters) of `resource`
 * under `prefix`: a fixed sleep would not be enough on a busy machine.
 */
const counted = (prefix: string, key: "holders" | "waiters", n: number, resource = "Db") =>
  Effect.promise(async () => {
    const redis = client()
    try {
      for (let i = 0; i < 1000; i++) {
        if ((await redis.zcard(`${prefix}:{${resource}}:${key}`)) >= n) return
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`${prefix}: fewer than ${n} ${key} after 5 s`)
    } finally {
      redis.disconnect()
    }
  })

/**
 * Waits until Redis counts exactly `n` holders (or waiters): for a release
 * sent without waiting for its answer (a waiter that gave up). A liveness
 * bound (5 s), not a timing one.
 */
const settles = (prefix: string, key: "holders" | "waiters", n: number, resource = "Db") =>
  Effect.promise(async () => {
    const redis = client()
    try {
      for (let i = 0; i < 1000; i++) {
        if ((await redis.zcard(`${prefix}:{${resource}}:${key}`)) === n) return
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      throw new Error(`${prefix}: not ${n} ${key} after 5 s`)
    } finally {
      redis.disconnect()
    }
  })

/**
 * Marks `resource` under `prefix` as last used on this Redis server and not
 * fenced: a Redis up for less than the lease TTL would otherwise fence it
 * for a TTL (it cannot tell a first start from a restart), and the tests
 * with an hour's TTL (so that no heartbeat runs) would get nothing.
 */
const unfenced = (prefix: string, resource = "Db") =>
  Effect.promise(async () => {
    const redis = client()
    try {
      const runId = /run_id:(\w+)/.exec(await redis.info("server"))![1]
      await redis.hset(`${prefix}:{${resource}}:fence`, "run", runId, "until", 0)
    } finally {
      redis.disconnect()
    }
  })

/**
 * Builds one limiter instance (a "replica") in the test's scope, named
 * apart: instances alive at once in one process may not share their
 * metric series.
 */
let replicas = 0
const replica = <const Resources extends Limiter.NonEmptyResources>(options: RedisLimiter.Options<Resources>) =>
  Effect.flatMap(Scope.Scope, (scope) =>
    Layer.buildWithScope(RedisLimiter.layer({ name: `replica-${++replicas}`, ...options }), scope))

describe("RedisLimiter options", () => {
  const Db = Resource.make("Db", { capacity: 2 })
  const fails = (options: RedisLimiter.Options<any>, field: string) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(RedisLimiter.layer(options))))
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
  it.effect("a URL that is not redis:// is refused", () =>
    fails({ resources: [Db], timeout: "1 second", redis: "http://localhost" }, "redis"))
})

describe("RedisLimiter when Redis is unreachable", () => {
  const Db = Resource.make("Db", { capacity: 4 })

  it.live("fails closed by default: BusyError with reason \"unavailable\" at once", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(sparePort)
      // An hour's timeout: a guard that waited for it would outlast the test's own timeout.
      const ctx = yield* replica({ resources: [Db], timeout: "1 hour", redis: `redis://127.0.0.1:${port}` })
      const error = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.instanceOf(error, BusyError.BusyError)
      assert.strictEqual(error.reason, "unavailable")
    }).pipe(Effect.scoped))

  it.live("fails open on request: each replica admits its local share", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(sparePort)
      const ctx = yield* replica({
        resources: [Db],
        timeout: "0 millis",
        redis: `redis://127.0.0.1:${port}`,
        failure: "open",
        replicas: 2
      })
      let running = 0
      let max = 0
      let decided = 0
      // The admitted hold until all six are decided: a latch, not a sleep.
      const gate = yield* Deferred.make<void>()
      const task = Effect.acquireUseRelease(
        Effect.sync(() => (max = Math.max(max, ++running), decided++)),
        () => Deferred.await(gate),
        () => Effect.sync(() => running--)
      ).pipe(Limiter.withResources([Db]), Effect.either, Effect.tap((r) => Effect.sync(() => r._tag === "Left" && decided++)))
      const fibers = yield* Effect.forEach(Array.from({ length: 6 }), () => Effect.fork(Effect.provide(task, ctx)))
      while (decided < 6) yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(max, 2)
      assert.strictEqual(results.filter((r) => r._tag === "Right").length, 2)
    }).pipe(Effect.scoped))
  it.live("enabled: false makes every guard a pass-through, Redis or not", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(sparePort)
      const ctx = yield* replica({ resources: [Db], timeout: "5 seconds", redis: `redis://127.0.0.1:${port}`, enabled: false })
      assert.strictEqual(yield* Effect.provide(Limiter.withResources(Effect.succeed(1), [Db]), ctx), 1)
    }).pipe(Effect.scoped))
})

describe("RedisLimiter", () => {
  if (skippedWithoutRedis()) return

  it.live("bounds concurrent holders across several instances in one process", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 3 })
      const prefix = prefixFor("bound")
      const replicas = yield* Effect.all(
        Array.from({ length: 3 }, () => replica({ resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL }))
      )
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
      const redis = client()
      const [holders, waiters] = yield* Effect.promise(() =>
        Promise.all([redis.zcard(`${prefix}:{Db}:holders`), redis.zcard(`${prefix}:{Db}:waiters`)])
      )
      redis.disconnect()
      assert.deepStrictEqual([holders, waiters], [0, 0])
    }).pipe(Effect.scoped))

  it.live("serves waiters in arrival order across instances", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("fifo")
      const replicas = yield* Effect.all(
        Array.from({ length: 3 }, () => replica({ resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL }))
      )
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), replicas[0])
      )
      yield* counted(prefix, "holders", 1)
      const order: Array<number> = []
      const fibers: Array<Fiber.RuntimeFiber<unknown, BusyError.BusyError>> = []
      for (let i = 0; i < 12; i++) {
        fibers.push(
          yield* Effect.fork(
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
      const options = { resources: [Db], timeout: "1 hour", prefix, redis: REDIS_URL, leaseTtl: "1 hour" } as const
      yield* unfenced(prefix)
      const [a, b] = yield* Effect.all([replica(options), replica(options)])
      const latencies: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const gate = yield* Deferred.make<void>()
        let endedAt = 0
        const holder = yield* Effect.fork(Effect.provide(
          Limiter.withResources(Effect.ensuring(Deferred.await(gate), Effect.sync(() => endedAt = Date.now())), [Db]),
          a
        ))
        yield* counted(prefix, "holders", 1)
        const waiter = yield* Effect.fork(Effect.provide(Limiter.withResources(Effect.sync(() => Date.now()), [Db]), b))
        yield* counted(prefix, "waiters", 1)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        latencies.push((yield* Fiber.join(waiter)) - endedAt)
      }
      // No bound on the time: served at all is the proof (the test's own
      // timeout ends a waiter never woken); the hand-offs are logged.
      assert.strictEqual(latencies.length, 5)
      console.log(`pub/sub hand-offs: ${latencies.join(", ")} ms`)
    }).pipe(Effect.scoped))

  it.live("a waiter that times out leaves the queue, and gets BusyError naming the resource", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("timeout")
      // An hour's TTL: no heartbeat runs here, so only the guard's own timer can end its wait.
      yield* unfenced(prefix)
      const ctx = yield* replica({ resources: [Db], timeout: "100 millis", prefix, redis: REDIS_URL, leaseTtl: "1 hour" })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      const started = Date.now()
      const error = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      const waited = Date.now() - started
      assert.strictEqual(error.reason, "timeout")
      assert.strictEqual(error.resource, "Db")
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
      const [a, b] = yield* Effect.all([
        replica({ resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL }),
        replica({ resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL })
      ])
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), a))
      yield* counted(prefix, "holders", 1)
      const quitter = yield* Effect.fork(Effect.provide(Limiter.withResources(Effect.void, [Db]), b))
      yield* counted(prefix, "waiters", 1)
      const next = yield* Effect.fork(Effect.provide(Limiter.withResources(Effect.succeed("served"), [Db]), a))
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
      const ctx = yield* replica({ resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      const waiter = yield* Effect.fork(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      yield* counted(prefix, "waiters", 1)
      const full = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.strictEqual(full.reason, "queue-full")
      const zero = yield* Effect.flip(
        Effect.provide(Limiter.withResources(Effect.void, [Db], { timeout: Duration.zero }), ctx)
      )
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
      const ctx = yield* replica({ resources: [Db, Fs], timeout: "10 seconds", prefix, redis: REDIS_URL })
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

  it.live("a holder whose lease is lost fails with a BusyError (\"lease-lost\") its caller can catch, rendered as the usual 503", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("lost")
      const ctx = yield* replica({ resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL, leaseTtl: "400 millis" })
      const started = yield* Deferred.make<void>()
      let after = false
      const holder = yield* Effect.fork(
        Limiter.withResources(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never), [Db]).pipe(
          Effect.provide(ctx),
          Effect.flip,
          // The caller's fiber goes on after the failure.
          Effect.tap(() => Effect.sync(() => after = true))
        )
      )
      yield* Deferred.await(started)
      // Redis forgets the lease (as if it expired while this replica was cut
      // off): the next renewal, within a quarter of the TTL, finds it gone.
      const redis = client()
      yield* Effect.promise(() => redis.del(`${prefix}:{Db}:holders`))
      redis.disconnect()
      const error = yield* Fiber.join(holder)
      assert.instanceOf(error, BusyError.BusyError)
      assert.deepStrictEqual([error.reason, error.resource], ["lease-lost", "Db"])
      assert.isTrue(after, "the caller's code ran on")
      const response = yield* HttpServerRespondable.toResponse(error)
      assert.strictEqual(response.status, 503)
      assert.strictEqual(response.headers["retry-after"], "1")
      // The permit is usable again.
      assert.strictEqual(yield* Effect.provide(Limiter.withResources(Effect.succeed(1), [Db]), ctx), 1)
    }).pipe(Effect.scoped))

  it.live("after a failover that lost a lease, nothing is granted for one TTL and the holder re-registers", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      const prefix = prefixFor("failover")
      const options = { resources: [Db], timeout: "0 millis", prefix, redis: REDIS_URL, leaseTtl: "1200 millis" } as const
      const [a, b] = yield* Effect.all([replica(options), replica(options)])
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(
        Limiter.withResources(Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(gate)), [Db]),
        a
      ))
      yield* Deferred.await(started)
      // What a failover to a replica that missed the last writes looks like:
      // another server, and the lease gone.
      const redis = client()
      yield* Effect.promise(() =>
        redis.multi().del(`${prefix}:{Db}:holders`).hset(`${prefix}:{Db}:fence`, "run", "another-server").exec()
      )
      const tryOnce = Effect.either(Effect.provide(Limiter.withResources(Effect.void, [Db]), b))
      const fenced = yield* tryOnce
      assert.isTrue(fenced._tag === "Left", "fenced: no grant right after the change of server")
      // Until when Redis fences the resource (Redis ms; this machine's clock).
      const fencedUntil = Number(yield* Effect.promise(() => redis.hget(`${prefix}:{Db}:fence`, "until")))
      // The holder re-registers its lease at its next renewal (every 300 ms), and is not interrupted.
      yield* counted(prefix, "holders", 1)
      assert.isNull(holder.unsafePoll())
      // After the fence, and not before it: one permit left of two.
      const servedAt = yield* tryOnce.pipe(
        Effect.flatMap((r) => r._tag === "Right" ? Effect.sync(() => Date.now()) : Effect.fail("fenced")),
        Effect.retry(Schedule.spaced("20 millis")),
        Effect.timeout("10 seconds")
      )
      assert.isAtLeast(servedAt, fencedUntil)
      assert.isNull(holder.unsafePoll())
      redis.disconnect()
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("setCapacity changes the capacity this replica applies, at once", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("resize")
      const ctx = yield* replica({ resources: [Db], timeout: "0 millis", prefix, redis: REDIS_URL })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      const once = Effect.either(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.strictEqual((yield* once)._tag, "Left")
      yield* Effect.provide(Limiter.setCapacity(Db, 2), ctx)
      assert.strictEqual((yield* once)._tag, "Right")
      const error = yield* Effect.flip(Effect.provide(Limiter.setCapacity(Db, 0), ctx))
      assert.include(error.message, "capacity")
      const stats = yield* Effect.provide(Effect.flatMap(Limiter.Limiter, (l) => l.stats), ctx)
      assert.deepStrictEqual(stats.map((s) => [s.capacity, s.inUse]), [[2, 1]])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("records the Metrics module's metrics, as this replica sees them", () =>
    Effect.gen(function*() {
      // A name of its own: metrics are process-wide.
      const Db = Resource.make("RedisMetricsDb", { capacity: 1 })
      const prefix = prefixFor("metrics")
      const ctx = yield* replica({ resources: [Db], timeout: "100 millis", prefix, redis: REDIS_URL, name: "default" })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1, Db.name)
      const inUse = yield* Metric.value(Metrics.series(Metrics.inUse, { resource: Db.name }))
      assert.strictEqual(inUse.value, 1)
      yield* Effect.either(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx)) // times out
      const quitter = yield* Effect.fork(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      yield* counted(prefix, "waiters", 1, Db.name)
      yield* Fiber.interrupt(quitter)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      const counts: Record<string, number> = {}
      for (const outcome of ["acquired", "timeout", "queue-full", "interrupted"] as const) {
        const counter = Metrics.series(Metrics.acquisitions, { resource: Db.name, outcome })
        counts[outcome] = (yield* Metric.value(counter)).count
      }
      assert.deepStrictEqual(counts, { acquired: 1, timeout: 1, "queue-full": 0, interrupted: 1 })
      const [capacity, after, held] = yield* Effect.all([
        Metric.value(Metrics.series(Metrics.capacity, { resource: Db.name })),
        Metric.value(Metrics.series(Metrics.inUse, { resource: Db.name })),
        Metric.value(Metrics.series(Metrics.holdTime, { resource: Db.name }))
      ])
      assert.deepStrictEqual([capacity.value, after.value, held.count], [1, 0, 1])
    }).pipe(Effect.scoped))

  it.live("closing the layer refuses its queued guards, which leave the queue", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("close")
      const options = { resources: [Db], timeout: Duration.infinity, prefix, redis: REDIS_URL } as const
      const a = yield* replica(options)
      const scope = yield* Scope.make()
      const b = yield* Layer.buildWithScope(RedisLimiter.layer({ ...options, name: "b" }), scope)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), a))
      yield* counted(prefix, "holders", 1)
      const waiter = yield* Effect.fork(Effect.provide(Limiter.withResources(Effect.void, [Db]), b))
      yield* counted(prefix, "waiters", 1)
      // Closing waits (a PING) until Redis ran the releases of its queued guards.
      yield* Scope.close(scope, Exit.void)
      const error = yield* Effect.flip(Fiber.join(waiter))
      assert.strictEqual(error.reason, "unavailable")
      assert.strictEqual(yield* countNow(prefix, "waiters"), 0)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("closing the layer stops it: no lease renewed after, and a queued guard is refused, also when failing open", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("closeopen")
      const scope = yield* Scope.make()
      // The heartbeat beats every 50 ms.
      const ctx = yield* Layer.buildWithScope(
        RedisLimiter.layer({ resources: [Db], timeout: Duration.infinity, prefix, redis: REDIS_URL, leaseTtl: "200 millis", failure: "open" }),
        scope
      )
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      let ran = false
      const waiter = yield* Effect.fork(Effect.provide(Limiter.withResources(Effect.sync(() => ran = true), [Db]), ctx))
      yield* counted(prefix, "waiters", 1)
      yield* Scope.close(scope, Exit.void)
      // Refused, not admitted through the local share of a closed layer.
      const error = yield* Effect.flip(Fiber.join(waiter))
      assert.strictEqual(error.reason, "unavailable")
      assert.isFalse(ran)
      // Nothing of the layer runs on: the lease is renewed no more, and
      // expires in Redis (Redis purges it at the next script; read it raw).
      const redis = client()
      const holders = `${prefix}:{Db}:holders`
      const [lease, score] = yield* Effect.promise(() => redis.zrange(holders, 0, -1, "WITHSCORES"))
      // Four periods: a heartbeat still running would have renewed it.
      yield* Effect.sleep("200 millis")
      assert.deepStrictEqual(yield* Effect.promise(() => redis.zrange(holders, 0, -1, "WITHSCORES")), [lease, score])
      redis.disconnect()
      // The holder ends when its effect does; its release has nowhere to go.
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.effect("runs on the wall clock, also under TestClock", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("testclock")
      // A 1 s TTL: renewed every 250 ms, lost only after 750 ms without one.
      const ctx = yield* replica({ resources: [Db], timeout: "50 millis", prefix, redis: REDIS_URL, leaseTtl: "1 second" })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      // Real time passes and the lease is renewed (its expiry in Redis moves
      // on, twice); the TestClock does not move.
      const redis = client()
      const expiry = () => redis.zrange(`${prefix}:{Db}:holders`, 0, -1, "WITHSCORES").then((r) => Number(r[1]))
      yield* Effect.promise(async () => {
        let last = await expiry()
        for (let renewals = 0, i = 0; renewals < 2; i++) {
          if (i === 1000) throw new Error("the lease was not renewed twice in 5 s")
          await new Promise((resolve) => setTimeout(resolve, 5))
          const now = await expiry()
          if (now > last) renewals++
          last = now
        }
      }).pipe(Effect.ensuring(Effect.sync(() => redis.disconnect())))
      assert.isNull(holder.unsafePoll(), "the holder still holds")
      const error = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.strictEqual(error.reason, "timeout")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("the resource tag yields the replica's local share, a plain semaphore", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 6 })
      const prefix = prefixFor("tag")
      const ctx = yield* replica({ resources: [Db], timeout: "1 second", prefix, redis: REDIS_URL, replicas: 3 })
      const stats = yield* Effect.provide(Effect.flatMap(Db, (s) => s.stats), ctx)
      assert.strictEqual(stats.capacity, 2)
      assert.isTrue(Context.isTag(Db))
    }).pipe(Effect.scoped))
})
