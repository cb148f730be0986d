/**
 * Guards mixed with `releaseAll` on their resource's semaphore, against a
 * model. `releaseAll` returns every permit at once; a guard that held one
 * across it must not return it a second time when it ends (that used to
 * release a permit someone else held, or die releasing one nobody held).
 * Guards take their permits on the fast path (free resource) or the slow
 * path (queued), both covered. At every step the semaphore's count must be
 * the model's, and at quiescence nothing may be over- or under-released.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, TestClock } from "effect"
import * as fc from "effect/FastCheck"
import { Limiter, Resource } from "effect-concurrency-limiter"

const capacity = 2
const Db = Resource.make("Db", { capacity })

const command = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "start" as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("finish" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "releaseAll" as const }) }
)
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never

interface Guard {
  readonly fiber: Fiber.RuntimeFiber<void, unknown>
  readonly gate: Deferred.Deferred<void>
  /** Set by the guarded effect once it runs, i.e. once it holds its permit. */
  entered: boolean
  /** The `releaseAll` round in which it got its permit; older rounds' permits are already back. */
  round: number
}

const settle = Effect.repeatN(Effect.yieldNow(), 20)

const run = (commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    const semaphore = yield* Db
    const guards: Array<Guard> = []
    let round = 0
    // In use, as the model counts it: guards that entered in the current round and are still running.
    const modelInUse = () => guards.filter((g) => g.entered && g.round === round && g.fiber.unsafePoll() === null).length
    const check = (step: string) => {
      const { inUse } = semaphore.unsafeStats()
      assert.isAtMost(inUse, capacity, `${step}: over capacity`)
      assert.strictEqual(inUse, modelInUse(), `${step}: in use`)
    }

    for (const [index, c] of commands.entries()) {
      const step = `step ${index} (${c.kind})`
      switch (c.kind) {
        case "start": {
          const gate = yield* Deferred.make<void>()
          const guard: Guard = { fiber: undefined as never, gate, entered: false, round }
          guard.entered = false
          const body = Effect.sync(() => {
            guard.entered = true
            guard.round = round
          }).pipe(Effect.zipRight(Deferred.await(gate)))
          ;(guard as { fiber: Fiber.RuntimeFiber<void, unknown> }).fiber = yield* Effect.fork(
            body.pipe(Limiter.withResources([Db]))
          )
          guards.push(guard)
          break
        }
        case "finish": {
          const live = guards.filter((g) => g.entered && g.fiber.unsafePoll() === null)
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
      check(step)
    }

    // Quiescence: let every guard run and end.
    for (;;) {
      const live = guards.filter((g) => g.fiber.unsafePoll() === null)
      if (live.length === 0) break
      for (const g of live) yield* Deferred.succeed(g.gate, undefined)
      yield* settle
    }
    for (const g of guards) {
      const exit = yield* Fiber.await(g.fiber)
      assert.isTrue(Exit.isSuccess(exit), `a guard ended with ${String(exit)}`)
    }
    assert.deepStrictEqual(semaphore.unsafeStats(), { capacity, inUse: 0, waiting: 0 }, "nothing over- or under-released")
    // Every permit can be taken again, and not one more.
    assert.isTrue(semaphore.unsafeTryTake(capacity))
    assert.isFalse(semaphore.unsafeTryTake(1))
    yield* semaphore.release(capacity)
  })

describe("guards across Semaphore.releaseAll", () => {
  it.effect.prop("release each permit at most once", [fc.array(command, { minLength: 1, maxLength: 40 })], ([commands]) =>
    run(commands).pipe(Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [Db] }))), {
    fastCheck: { numRuns: 200 }
  })

  it.effect("a guard that held its permit across releaseAll does not return another's", () =>
    Effect.gen(function*() {
      yield* run([
        { kind: "start" },
        { kind: "releaseAll" },
        { kind: "start" },
        { kind: "start" },
        { kind: "finish", pick: 0 }
      ])
      yield* TestClock.adjust("1 second")
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [Db] }))))
})
