/**
 * The Effect 4 line's deadline timer (src/internal/deadlines.ts: one fiber
 * sleeping on the `Clock` over the core's heap) against a model: random
 * registrations (any order of deadlines, ties included), cancellations and
 * clock steps, on the TestClock. Every entry must expire exactly once, at
 * its deadline, in (deadline, registration) order, and a cancelled entry
 * never. Then: an earlier deadline re-arms the timer, closing expires what
 * is left, and a batch due at once expires in slices.
 */
import type { Expirable } from "@effect-concurrency-limiter/core/deadlines/heap"
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import { Deadlines } from "../src/internal/deadlines.js"
import { settle } from "./utils/effects.js"

type Operation =
  | { readonly kind: "add"; readonly after: number }
  | { readonly kind: "remove"; readonly pick: number }
  | { readonly kind: "advance"; readonly by: number }

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), after: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const), by: fc.integer({ min: 0, max: 30 }) }) }
)

interface Entry extends Expirable {
  readonly id: number
}

/** A timer on the current clock, its fibers forked with the current context (the TestClock's scheduler). */
const makeDeadlines = (sliceSize?: number, pause?: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    return new Deadlines(yield* Clock.Clock, Effect.runForkWith(context), sliceSize, pause)
  })

const entry = (deadline: number, expire: () => void): Expirable => ({ deadline, heapIndex: -1, sequence: 0, expire })

/** The violations of one random sequence of operations, checked against the model. */
const runOperations = (operations: ReadonlyArray<Operation>): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const deadlines = yield* makeDeadlines()
    const expired: Array<[id: number, at: number]> = []
    const live: Array<Entry> = []
    const cancelled = new Set<number>()
    let now = 0
    for (const op of operations) {
      switch (op.kind) {
        case "add": {
          const id = live.length
          const added: Entry = { id, ...entry(now + op.after, () => expired.push([id, deadlines.now()])) }
          live.push(added)
          deadlines.add(added)
          break
        }
        case "remove": {
          const pending = live.filter((e) => e.heapIndex >= 0)
          if (pending.length === 0) break
          const removed = pending[op.pick % pending.length]
          deadlines.remove(removed)
          deadlines.remove(removed) // twice: the second is a no-op
          cancelled.add(removed.id)
          break
        }
        case "advance": {
          yield* settle
          yield* TestClock.adjust(op.by)
          now += op.by
          yield* settle
          break
        }
      }
    }
    yield* settle
    yield* TestClock.adjust(100)
    yield* settle

    const violations: Array<string> = []
    const expected = live
      .filter((e) => !cancelled.has(e.id))
      .sort((a, b) => a.deadline - b.deadline || a.id - b.id)
      .map((e) => e.id)
    const ids = expired.map(([id]) => id)
    if (JSON.stringify(ids) !== JSON.stringify(expected)) violations.push(`expired ${ids}, expected ${expected}`)
    for (const [id, at] of expired) {
      if (at !== live[id].deadline) violations.push(`entry ${id} expired at ${at}, its deadline ${live[id].deadline}`)
    }
    if (deadlines.size !== 0) violations.push(`${deadlines.size} left in the heap`)
    yield* deadlines.close()
    return violations
  }).pipe(Effect.provide(TestClock.layer()))

describe("Deadlines", () => {
  it("expires every entry once, at its deadline, in order; cancelled ones never", () =>
    fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 60 }), async (operations) => {
        const violations = await Effect.runPromise(runOperations(operations))
        if (violations.length > 0) throw new Error(violations.join("\n"))
      }),
      { numRuns: 100 }
    ), 60_000)

  it.effect("an earlier deadline wakes the timer early; closing expires what is left at once and stops it", () =>
    Effect.gen(function*() {
      const deadlines = yield* makeDeadlines()
      const expired: Array<number> = []
      deadlines.add(entry(1000, () => expired.push(1)))
      yield* settle
      deadlines.add(entry(10, () => expired.push(2)))
      yield* settle
      yield* TestClock.adjust(10)
      yield* settle
      assert.deepStrictEqual(expired, [2])
      yield* deadlines.close()
      assert.deepStrictEqual(expired, [2, 1], "closing expires the deadlines still registered")
      deadlines.add(entry(5000, () => expired.push(3)))
      assert.deepStrictEqual(expired, [2, 1, 3], "once closed, a new deadline expires at once")
      yield* TestClock.adjust(6000)
      yield* settle
      assert.deepStrictEqual(expired, [2, 1, 3], "a closed timer expires nothing twice")
    }))

  it.effect("a batch due at once expires in slices, with a pause between, each entry at its own deadline", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      // A pause that notes itself: where the live clock would give the event loop a turn.
      const deadlines = yield* makeDeadlines(4, Effect.sync(() => log.push("|")))
      for (let id = 0; id < 10; id++) deadlines.add(entry(100, () => log.push(`${id}@${deadlines.now()}`)))
      deadlines.add(entry(150, () => log.push(`10@${deadlines.now()}`)))
      yield* settle
      yield* TestClock.adjust(100)
      yield* settle
      assert.deepStrictEqual(log, [
        "0@100",
        "1@100",
        "2@100",
        "3@100",
        "|",
        "4@100",
        "5@100",
        "6@100",
        "7@100",
        "|",
        "8@100",
        "9@100"
      ])
      assert.strictEqual(deadlines.size, 1, "the later deadline is still waiting")
      yield* TestClock.adjust(50)
      yield* settle
      assert.deepStrictEqual(log.slice(12), ["10@150"], "a deadline after the batch expires on time, alone")
      yield* deadlines.close()
    }))

  it.effect("an expiry that throws is logged, and the other deadlines still expire on time", () =>
    Effect.gen(function*() {
      const deadlines = yield* makeDeadlines()
      const expired: Array<number> = []
      deadlines.add(entry(10, () => {
        throw new Error("observer bug")
      }))
      deadlines.add(entry(10, () => expired.push(2)))
      deadlines.add(entry(20, () => expired.push(3)))
      yield* settle
      yield* TestClock.adjust(20)
      yield* settle
      assert.deepStrictEqual(expired, [2, 3])
      yield* deadlines.close()
    }))
})
