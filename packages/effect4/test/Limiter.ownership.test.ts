/**
 * What a limiter owns on Effect 4: a resource is known by its name (the
 * same definition made twice is the same resource; another definition of
 * the name is refused, naming it), the semaphore `yield* Db` hands out
 * cannot release a guard's permits, and guards mixed with `releaseAll` on
 * that semaphore never release a permit twice (a property, against a model).
 */
import { Limit, Limiter, LimiterConfigError, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import { settle } from "./utils/effects.js"
import { stats } from "./utils/limiter.js"

const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

describe("a resource is known by its name", () => {
  it.effect("the same definition made twice is the same resource", () => {
    const Db = Resource.make("NamedDb", { capacity: 2, order: "lifo", partitions: { a: 0.5, b: 0.5 } })
    const Again = Resource.make("NamedDb", { capacity: 2, order: "lifo", partitions: { a: 0.5, b: 0.5 } })
    return Effect.gen(function*() {
      assert.strictEqual(yield* Effect.succeed(1).pipe(Limiter.withResources([Again], { partition: "a" })), 1)
      yield* Limiter.setCapacity(Again, 3)
      assert.strictEqual((yield* stats)[0].capacity, 3)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })

  it.effect("another definition with the same name and other options is refused, naming it", () => {
    const Db = Resource.make("TwiceDb", { capacity: 5 })
    const Other = Resource.make("TwiceDb", { capacity: 10 })
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.void.pipe(Limiter.withResources([Other])))
      const defect = defectOf(exit)
      assert.instanceOf(defect, TypeError)
      assert.include((defect as TypeError).message, "two different resources are named \"TwiceDb\"")
      const error = yield* Effect.flip(Limiter.setCapacity(Other, 3))
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual(error.field, "resource")
      assert.strictEqual((yield* stats)[0].capacity, 5, "nothing changed")
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })
})

describe("the semaphore that `yield* Db` hands out", () => {
  it.effect("resize refuses what setCapacity refuses, a Limit's resource included, and changes nothing", () => {
    const Db = Resource.make("ResizedDb", { capacity: 2 })
    const Adaptive = Resource.make("ResizedAdaptive", { capacity: Limit.aimd({ initial: 3 }) })
    return Effect.gen(function*() {
      const db = yield* Db
      assert.instanceOf(defectOf(yield* Effect.exit(db.resize(0))), LimiterConfigError.LimiterConfigError)
      const adaptive = defectOf(yield* Effect.exit((yield* Adaptive).resize(8)))
      assert.instanceOf(adaptive, LimiterConfigError.LimiterConfigError)
      assert.include((adaptive as LimiterConfigError.LimiterConfigError).message, "follows its Limit")
      assert.deepStrictEqual((yield* stats).map((s) => s.capacity), [2, 3])
      yield* db.resize(4)
      assert.deepStrictEqual((yield* stats).map((s) => s.capacity), [4, 3])
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db, Adaptive] })))
  })

  it.effect("a raw release cannot return a permit a guard holds, in any partition", () => {
    const Db = Resource.make("PartitionedDb", { capacity: 2, partitions: { a: 0.5, b: 0.5 } })
    return Effect.gen(function*() {
      const db = yield* Db
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Deferred.await(gate).pipe(Limiter.withResources([Db], { partition: "b" })))
      yield* settle
      assert.instanceOf(defectOf(yield* Effect.exit(db.release(1))), RangeError)
      const [before] = yield* stats
      assert.strictEqual(before.inUse, 1)
      assert.deepStrictEqual(before.partitions!.map((p) => [p.partition, p.inUse]), [["a", 0], ["b", 1]])
      // Raw takes and releases still balance, in the semaphore's own queue.
      yield* db.take(1)
      yield* db.release(1)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      const [after] = yield* stats
      assert.strictEqual(after.inUse, 0)
      assert.deepStrictEqual(after.partitions!.map((p) => [p.partition, p.inUse]), [["a", 0], ["b", 0]])
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })
})

// Guards across releaseAll, against a model: a guard that held its permit
// across `releaseAll` must not return it a second time when it ends (that
// would release a permit someone else holds, or die releasing one nobody
// holds). Guards take their permits on the fast path (free resource) or
// queued; both are covered.

const capacity = 2
const Db = Resource.make("ReleasedDb", { capacity })

type Command =
  | { readonly kind: "start" }
  | { readonly kind: "finish"; readonly pick: number }
  | { readonly kind: "releaseAll" }

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "start" as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("finish" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "releaseAll" as const }) }
)

interface Guard {
  fiber: Fiber.Fiber<void, unknown>
  readonly gate: Deferred.Deferred<void>
  /** Set by the guarded effect once it runs, i.e. once it holds its permit. */
  entered: boolean
  /** The `releaseAll` round in which it got its permit; older rounds' permits are already back. */
  round: number
}

/** The model's violations over `commands`. */
const runCommands = (commands: ReadonlyArray<Command>): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const semaphore = yield* Db
    const violations: Array<string> = []
    const guards: Array<Guard> = []
    let round = 0
    const running = (g: Guard) => g.fiber.pollUnsafe() === undefined
    // In use, as the model counts it: guards that entered in the current round and are still running.
    const modelInUse = () => guards.filter((g) => g.entered && g.round === round && running(g)).length
    const check = (step: string) => {
      const { inUse } = semaphore.unsafeStats()
      if (inUse > capacity) violations.push(`${step}: ${inUse} in use, over capacity`)
      if (inUse !== modelInUse()) violations.push(`${step}: ${inUse} in use, the model says ${modelInUse()}`)
    }
    for (const [index, c] of commands.entries()) {
      switch (c.kind) {
        case "start": {
          const gate = yield* Deferred.make<void>()
          const guard: Guard = { fiber: undefined as never, gate, entered: false, round }
          const body = Effect.sync(() => {
            guard.entered = true
            guard.round = round
          }).pipe(Effect.andThen(Deferred.await(gate)))
          guard.fiber = yield* Effect.forkChild(body.pipe(Limiter.withResources([Db])))
          guards.push(guard)
          break
        }
        case "finish": {
          const live = guards.filter((g) => g.entered && running(g))
          if (live.length === 0) break
          yield* Deferred.succeed(live[c.pick % live.length].gate, undefined)
          break
        }
        case "releaseAll": {
          round++
          yield* semaphore.releaseAll
          break
        }
      }
      yield* settle
      check(`step ${index} (${c.kind})`)
    }
    // Quiescence: let every guard run and end.
    for (let live = guards.filter(running); live.length > 0; live = guards.filter(running)) {
      for (const g of live) yield* Deferred.succeed(g.gate, undefined)
      yield* settle
    }
    for (const g of guards) {
      const exit = yield* Fiber.await(g.fiber)
      if (!Exit.isSuccess(exit)) violations.push(`a guard ended with ${Cause.pretty(exit.cause)}`)
    }
    const quiescent = semaphore.unsafeStats()
    if (quiescent.inUse !== 0 || quiescent.waiting !== 0) violations.push(`at quiescence: ${JSON.stringify(quiescent)}`)
    // Every permit can be taken again, and not one more.
    if (!semaphore.unsafeTryTake(capacity) || semaphore.unsafeTryTake(1)) violations.push("permits over- or under-released")
    return violations
  }).pipe(
    Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [Db] })),
    Effect.orDie,
    Effect.provide(TestClock.layer())
  )

describe("guards across the semaphore's releaseAll", () => {
  it("release each permit at most once", () =>
    fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        const violations = await Effect.runPromise(runCommands(commands))
        if (violations.length > 0) throw new Error(violations.join("\n"))
      }),
      { numRuns: 150 }
    ), 60_000)

  it("a guard that held its permit across releaseAll does not return another's", async () => {
    const violations = await Effect.runPromise(runCommands([
      { kind: "start" },
      { kind: "releaseAll" },
      { kind: "start" },
      { kind: "start" },
      { kind: "finish", pick: 0 }
    ]))
    assert.deepStrictEqual(violations, [])
  })
})
