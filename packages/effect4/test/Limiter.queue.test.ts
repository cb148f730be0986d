/**
 * The production controls of a resource on Effect 4, one at a time: the
 * queue bound, LIFO order, live capacity (`setCapacity`, `resize` on the
 * resource's semaphore, `reload`) and partitions, and the layer's refusals
 * of bad queue options. All on the TestClock.
 */
import { BusyError, Limit, Limiter, LimiterConfigError, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpServerRespondable from "effect/http/HttpServerRespondable"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import { defectMessage, poll, settle } from "./utils/effects.js"

/** A guard held open until `open` is called; `log` records the order in which guards got in. */
const gated = (log: Array<string>) =>
<R>(name: string, guard: (self: Effect.Effect<void>) => Effect.Effect<void, BusyError.BusyError, R>) =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const fiber = yield* Effect.sync(() => log.push(name)).pipe(
      Effect.andThen(Deferred.await(gate)),
      guard,
      Effect.forkChild
    )
    yield* settle
    return { fiber, open: Deferred.succeed(gate, undefined).pipe(Effect.andThen(settle)) }
  })

const busyReason = <A, E>(exit: Exit.Exit<A, E>): string => {
  if (Exit.isSuccess(exit)) return "success"
  const error = Cause.squash(exit.cause)
  return error instanceof BusyError.BusyError ? error.reason : "another error"
}

const statsOf = (name: string) =>
  Effect.flatMap(Limiter.Limiter, (l) => Effect.map(l.stats, (all) => all.find((s) => s.resource === name)!))

describe("maxWaiting", () => {
  const Db = Resource.make("QDb", { capacity: 1, maxWaiting: 2 })
  const layer = Limiter.layer({ timeout: "10 seconds", resources: [Db] })
  const guard = Limiter.withResources([Db])

  it.effect("refuses the waiter past the bound at once, with reason queue-full and no timer", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const start = gated(log)
      const holder = yield* start("holder", guard)
      yield* start("w1", guard)
      yield* start("w2", guard)
      assert.deepStrictEqual((yield* statsOf("QDb")).waiting, 2)
      // The third waiter: refused without the clock moving.
      const exit = yield* Effect.exit(Effect.void.pipe(guard))
      assert.strictEqual(busyReason(exit), "queue-full")
      const error = Cause.squash((exit as Exit.Failure<void, BusyError.BusyError>).cause) as BusyError.BusyError
      assert.deepStrictEqual(error.waited, Duration.zero)
      assert.strictEqual(error.retryAfterSeconds, 1)
      assert.match(error.message, /queue is full/)
      // Once a waiter is in, there is room again.
      yield* holder.open
      assert.deepStrictEqual(log, ["holder", "w1"])
      const w3 = yield* start("w3", guard)
      assert.isUndefined(yield* poll(w3.fiber), "w3 queued, not refused")
      assert.deepStrictEqual((yield* statsOf("QDb")).waiting, 2)
    }).pipe(Effect.provide(layer)))

  const Solo = Resource.make("QSolo", { capacity: 1, maxWaiting: 0 })

  it.effect("0 never queues: a busy resource refuses at once", () =>
    Effect.gen(function*() {
      const soloGuard = Limiter.withResources([Solo])
      const holder = yield* gated([])("holder", soloGuard)
      assert.strictEqual(busyReason(yield* Effect.exit(Effect.void.pipe(soloGuard))), "queue-full")
      yield* holder.open
      assert.strictEqual(busyReason(yield* Effect.exit(Effect.void.pipe(soloGuard))), "success")
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Solo] }))))

  it.effect("the 503 is the same for both reasons", () =>
    Effect.gen(function*() {
      const timeout = new BusyError.BusyError({ resource: "Db", waited: Duration.millis(300) })
      const full = new BusyError.BusyError({ resource: "Db", waited: Duration.zero, reason: "queue-full" })
      assert.notStrictEqual(timeout.message, full.message)
      const [a, b] = [HttpServerRespondable.toResponse(timeout), HttpServerRespondable.toResponse(full)]
      const [ra, rb] = yield* Effect.all([a, b])
      assert.deepStrictEqual([ra.status, ra.body, ra.headers], [rb.status, rb.body, rb.headers])
      assert.strictEqual(ra.status, 503)
    }))
})

describe("order: lifo", () => {
  const Db = Resource.make("LDb", { capacity: 1, order: "lifo" })
  const layer = Limiter.layer({ timeout: "10 seconds", resources: [Db] })
  const guard = Limiter.withResources([Db])

  it.effect("hands a freed permit to the newest waiter; the oldest times out on its own deadline", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const start = gated(log)
      const holder = yield* start("holder", guard)
      const w1 = yield* start("w1", guard)
      yield* TestClock.adjust("1 second")
      const w2 = yield* start("w2", guard)
      const w3 = yield* start("w3", guard)
      yield* holder.open
      assert.deepStrictEqual(log, ["holder", "w3"])
      yield* TestClock.adjust("9 seconds")
      assert.strictEqual(busyReason(yield* Fiber.await(w1.fiber)), "timeout")
      yield* w3.open
      assert.deepStrictEqual(log, ["holder", "w3", "w2"])
      yield* w2.open
      assert.deepStrictEqual(yield* statsOf("LDb"), {
        resource: "LDb",
        capacity: 1,
        inUse: 0,
        waiting: 0,
        maxWaiting: Infinity
      })
    }).pipe(Effect.provide(layer)))

  it.effect("does not let a newcomer barge past a waiter", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const start = gated(log)
      const holder = yield* start("holder", guard)
      yield* start("w1", guard)
      // Release and arrive in the same step: the waiter is granted first.
      yield* holder.open
      yield* start("late", guard)
      assert.deepStrictEqual(log, ["holder", "w1"])
      assert.strictEqual((yield* statsOf("LDb")).waiting, 1)
    }).pipe(Effect.provide(layer)))
})

describe("live capacity", () => {
  const Db = Resource.make("CDb", { capacity: 2 })
  const layer = Limiter.layer({ timeout: "10 seconds", resources: [Db] })
  const guard = Limiter.withResources([Db])

  it.effect("growing admits waiters at once; shrinking admits no one until usage falls under it", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const start = gated(log)
      const h1 = yield* start("h1", guard)
      const h2 = yield* start("h2", guard)
      const w1 = yield* start("w1", guard)
      yield* start("w2", guard)
      yield* Limiter.setCapacity(Db, 3)
      yield* settle
      assert.deepStrictEqual(log, ["h1", "h2", "w1"])
      // Down to 1 with 3 in use: nobody is interrupted, nobody admitted.
      yield* Limiter.setCapacity(Db, 1)
      assert.deepStrictEqual(yield* statsOf("CDb"), {
        resource: "CDb",
        capacity: 1,
        inUse: 3,
        waiting: 1,
        maxWaiting: Infinity
      })
      yield* h1.open
      yield* h2.open
      assert.deepStrictEqual(log, ["h1", "h2", "w1"], "still 1 in use: at capacity")
      yield* w1.open
      assert.deepStrictEqual(log, ["h1", "h2", "w1", "w2"])
    }).pipe(Effect.provide(layer)))

  it.effect("the resource's semaphore resizes as setCapacity does, and refuses what it refuses", () =>
    Effect.gen(function*() {
      const semaphore = yield* Db
      yield* semaphore.resize(5)
      assert.strictEqual((yield* statsOf("CDb")).capacity, 5)
      const exit = yield* Effect.exit(semaphore.resize(0))
      assert.include(defectMessage(exit), "Invalid Limiter option resources[0].capacity (resource \"CDb\")")
      assert.strictEqual((yield* statsOf("CDb")).capacity, 5)
    }).pipe(Effect.provide(layer)))

  it.effect("an invalid capacity fails with LimiterConfigError and changes nothing", () =>
    Effect.gen(function*() {
      for (const bad of [0, -1, 2.5, NaN]) {
        const error = yield* Effect.flip(Limiter.setCapacity(Db, bad))
        assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
        assert.strictEqual(error.field, "resources[0].capacity (resource \"CDb\")")
        assert.strictEqual(error.value, String(bad))
      }
      assert.strictEqual((yield* statsOf("CDb")).capacity, 2)
    }).pipe(Effect.provide(layer)))

  it.effect("a resource the limiter does not list, or another definition of the name, is refused", () =>
    Effect.gen(function*() {
      const Other = Resource.make("Other", { capacity: 1 })
      const limiter = yield* Limiter.Limiter
      const error = yield* Effect.flip(limiter.setCapacity(Other, 3))
      assert.strictEqual(error.field, "resource")
      assert.strictEqual(error.value, "\"Other\"")
      const Impostor = Resource.make("CDb", { capacity: 9 })
      assert.strictEqual((yield* Effect.flip(limiter.setCapacity(Impostor, 3))).field, "resource")
    }).pipe(Effect.provide(layer)))

  it.effect("a resource whose capacity follows a Limit refuses a capacity set by hand", () =>
    Effect.gen(function*() {
      const Adaptive = Resource.make("CAdaptive", { capacity: Limit.aimd({ initial: 4 }) })
      const error = yield* Effect.flip(Limiter.setCapacity(Adaptive, 3)).pipe(
        Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Adaptive] }))
      )
      assert.strictEqual(error.field, "resources[0].capacity (resource \"CAdaptive\")")
      assert.match(error.message, /follows its Limit/)
    }))
})

describe("Limiter.reload", () => {
  // Effect 4's default ConfigProvider reads the environment once; this one
  // reads `env` at every read, as a reload in production needs.
  const env: Record<string, string> = { RDB_CAPACITY: "2", RFS_CAPACITY: "3", RLIMITER_TIMEOUT: "1 second" }
  const LiveEnv = ConfigProvider.layer(
    ConfigProvider.make((path) => Effect.suspend(() => ConfigProvider.fromEnvRecord({ ...env }).load(path)))
  )
  const Db = Resource.make("RDb", {
    capacity: Config.Int("RDB_CAPACITY"),
    maxWaiting: Config.Int("RDB_MAX_WAITING").pipe(Config.withDefault(Infinity))
  })
  const Fs = Resource.make("RFs", { capacity: Config.Int("RFS_CAPACITY") })
  const Cache = Resource.make("RCache", { capacity: 4 })
  const layer = Limiter.layer({
    timeout: Config.String("RLIMITER_TIMEOUT"),
    resources: [Db, Fs, Cache],
    enabled: Config.Boolean("RLIMITER_ENABLED").pipe(Config.withDefault(true))
  })

  it.effect("re-reads capacities, queue bounds, the timeout and the switch, all or none", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.Limiter
      const capacities = Effect.map(limiter.stats, (all) => all.map((s) => [s.capacity, s.maxWaiting]))
      assert.deepStrictEqual(yield* capacities, [[2, Infinity], [3, Infinity], [4, Infinity]])
      assert.deepStrictEqual(limiter.timeout, Duration.seconds(1))

      // A capacity given as a number keeps what setCapacity made of it.
      yield* Limiter.setCapacity(Cache, 6)
      Object.assign(env, { RDB_CAPACITY: "4", RDB_MAX_WAITING: "8", RLIMITER_TIMEOUT: "250 millis" })
      Object.assign(env, { RLIMITER_ENABLED: "false" })
      yield* Limiter.reload
      assert.deepStrictEqual(yield* capacities, [[4, 8], [3, Infinity], [6, Infinity]])
      assert.deepStrictEqual(limiter.timeout, Duration.millis(250))
      assert.isFalse(limiter.enabled)

      // One bad value: nothing changes, and the error names it.
      Object.assign(env, { RDB_CAPACITY: "6", RFS_CAPACITY: "0" })
      const error = yield* Effect.flip(Limiter.reload)
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual((error as LimiterConfigError.LimiterConfigError).field, "resources[1].capacity (resource \"RFs\")")
      assert.deepStrictEqual(yield* capacities, [[4, 8], [3, Infinity], [6, Infinity]])
    }).pipe(Effect.provide(layer), Effect.provide(LiveEnv)))
})

describe("partitions", () => {
  const Db = Resource.make("PDb", { capacity: 5, partitions: { interactive: 0.8, batch: 0.2 } })
  const layer = Limiter.layer({ timeout: "10 seconds", resources: [Db] })
  const interactive = Limiter.withResources([Db], { partition: "interactive" })
  const batch = Limiter.withResources([Db], { partition: "batch" })

  it.effect("an idle partition's share is lent, and given back as holders finish", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const start = gated(log)
      // Batch borrows the whole capacity while interactive is idle.
      const batches = []
      for (let i = 0; i < 5; i++) batches.push(yield* start(`b${i}`, batch))
      assert.strictEqual(log.length, 5)
      // Interactive arrives, and more batch behind it: freed permits go to
      // interactive until it holds its 4, whoever arrived first.
      for (let i = 0; i < 5; i++) yield* start(`i${i}`, interactive)
      yield* start("b5", batch)
      for (let i = 0; i < 4; i++) yield* batches[i].open
      assert.deepStrictEqual(log.slice(5), ["i0", "i1", "i2", "i3"])
      const stats = yield* statsOf("PDb")
      assert.deepStrictEqual(stats.partitions, [
        { partition: "interactive", guaranteed: 4, inUse: 4, waiting: 1 },
        { partition: "batch", guaranteed: 1, inUse: 1, waiting: 1 }
      ])
      // The last batch holder leaves: batch is owed its permit again, so
      // its waiter goes before the older interactive one.
      yield* batches[4].open
      assert.deepStrictEqual(log.slice(9), ["b5"])
    }).pipe(Effect.provide(layer)))

  it.effect("guarantees follow the capacity, rounded by largest remainder", () =>
    Effect.gen(function*() {
      const guaranteed = Effect.map(statsOf("PDb"), (s) => s.partitions!.map((p) => p.guaranteed))
      assert.deepStrictEqual(yield* guaranteed, [4, 1])
      yield* Limiter.setCapacity(Db, 7)
      assert.deepStrictEqual(yield* guaranteed, [6, 1])
      yield* Limiter.setCapacity(Db, 1)
      assert.deepStrictEqual(yield* guaranteed, [1, 0])
    }).pipe(Effect.provide(layer)))

  it("a guard must name a partition its resources have, when it is defined", () => {
    assert.throws(() => Limiter.withResources([Db] as any), /"PDb" is partitioned \("interactive", "batch"\).*got none/)
    assert.throws(() => Limiter.withResources([Db] as any, { partition: "bulk" }), /got "bulk"/)
    assert.throws(() => Limiter.withResources([Db] as any, { timeout: "1 second" }), /got none/)
    const Index = Resource.make("PIndex", { capacity: 2, partitions: { batch: 0.5, admin: 0.5 } })
    assert.throws(
      () => Limiter.withResources([Db, Index] as any, { partition: "interactive" }),
      /"PIndex" is partitioned/
    )
    const Fs = Resource.make("PFs", { capacity: 1 })
    assert.throws(() => Limiter.withResources([Fs] as any, { partition: "batch" }), /none of the resources is partitioned/)
  })
})

describe("Limiter.layer rejects bad queue options", () => {
  const expectInvalid = (resource: Resource.Resource.Any, field: string, value: string) =>
    Effect.gen(function*() {
      const error = yield* Layer.build(Limiter.layer({ timeout: "1 second", resources: [resource] })).pipe(
        Effect.scoped,
        Effect.flip
      )
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual((error as LimiterConfigError.LimiterConfigError).field, field)
      assert.strictEqual((error as LimiterConfigError.LimiterConfigError).value, value)
    })

  for (const [maxWaiting, shown] of [[-1, "-1"], [1.5, "1.5"], [NaN, "NaN"]] as const) {
    it.effect(`maxWaiting ${shown}`, () =>
      expectInvalid(Resource.make("Bad", { capacity: 1, maxWaiting }), "resources[0].maxWaiting (resource \"Bad\")", shown))
  }

  it.effect("order", () =>
    expectInvalid(
      Resource.make("Bad", { capacity: 1, order: "random" as "fifo" }),
      "resources[0].order (resource \"Bad\")",
      "\"random\""
    ))

  it.effect("a share out of range", () =>
    expectInvalid(
      Resource.make("Bad", { capacity: 1, partitions: { a: 0.5, b: 0 } }),
      "resources[0].partitions (resource \"Bad\").b",
      "0"
    ))

  it.effect("shares adding up to more than 1", () =>
    expectInvalid(
      Resource.make("Bad", { capacity: 1, partitions: { a: 0.6, b: 0.6 } }),
      "resources[0].partitions (resource \"Bad\")",
      "{ a: 0.6, b: 0.6 }"
    ))

  it.effect("no partition at all", () =>
    expectInvalid(Resource.make("Bad", { capacity: 1, partitions: {} }), "resources[0].partitions (resource \"Bad\")", "{}"))
})
