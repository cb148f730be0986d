/**
 * The limiter's deadline timer (src/internal/deadlines.ts) against a model:
 * random registrations (any order of deadlines, ties included),
 * cancellations and clock steps, all under TestClock. Every entry must
 * expire exactly once, at its deadline, in (deadline, registration) order,
 * and a cancelled entry never.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Runtime, TestClock } from "effect"
import * as fc from "effect/FastCheck"
import type { Expirable } from "@effect-concurrency-limiter/core/deadlines/heap"
import { Deadlines } from "../src/internal/deadlines.js"

const operation = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), after: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const), by: fc.integer({ min: 0, max: 30 }) }) }
)
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never

interface Entry extends Expirable {
  readonly id: number
}

const makeDeadlines = Effect.gen(function*() {
  const runtime = yield* Effect.runtime<never>()
  return new Deadlines(yield* Effect.clock, Runtime.runFork(runtime))
})

const settle = Effect.repeatN(Effect.yieldNow(), 10)

describe("Deadlines", () => {
  it.effect.prop("expires every entry once, at its deadline, in order; cancelled ones never", [
    fc.array(operation, { maxLength: 60 })
  ], ([operations]: [ReadonlyArray<Operation>]) =>
    Effect.gen(function*() {
      const deadlines = yield* makeDeadlines
      const expired: Array<string> = []
      const live: Array<Entry> = []
      const cancelled = new Set<number>()
      let now = 0
      let nextId = 0
      for (const op of operations) {
        switch (op.kind) {
          case "add": {
            const entry: Entry = {
              id: nextId++,
              deadline: now + op.after,
              heapIndex: -1,
              sequence: 0,
              expire() {
                expired.push(`${this.id}@${deadlines.now()}`)
              }
            }
            live.push(entry)
            deadlines.add(entry)
            break
          }
          case "remove": {
            const pending = live.filter((e) => e.heapIndex >= 0)
            if (pending.length === 0) break
            const entry = pending[op.pick % pending.length]
            deadlines.remove(entry)
            deadlines.remove(entry) // twice: the second is a no-op
            cancelled.add(entry.id)
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
      now += 100
      yield* settle

      const expected = live
        .filter((e) => !cancelled.has(e.id))
        .sort((a, b) => a.deadline - b.deadline || a.id - b.id)
        .map((e) => e.id)
      const expiredIds = expired.map((x) => Number(x.split("@")[0]))
      // Wake-ups come in time order, and each expires what is due in (deadline, registration) order.
      assert.deepStrictEqual(expiredIds, expected)
      for (const record of expired) {
        const [id, at] = record.split("@").map(Number)
        assert.strictEqual(at, live[id].deadline, `entry ${id} expired at ${at}, its deadline ${live[id].deadline}`)
      }
      assert.strictEqual(deadlines.size, 0)
      yield* deadlines.close()
    }), { fastCheck: { numRuns: 60 } })

  it.effect("an earlier deadline wakes the timer early; closing expires what is left at once and stops it", () =>
    Effect.gen(function*() {
      const deadlines = yield* makeDeadlines
      const expired: Array<number> = []
      const entry = (deadline: number, id: number): Expirable => ({
        deadline,
        heapIndex: -1,
        sequence: 0,
        expire: () => expired.push(id)
      })
      deadlines.add(entry(1000, 1))
      yield* settle
      deadlines.add(entry(10, 2))
      yield* settle
      yield* TestClock.adjust(10)
      yield* settle
      assert.deepStrictEqual(expired, [2])
      yield* deadlines.close()
      assert.deepStrictEqual(expired, [2, 1], "closing expires the deadlines still registered")
      deadlines.add(entry(5000, 3))
      assert.deepStrictEqual(expired, [2, 1, 3], "once closed, a new deadline expires at once")
      yield* TestClock.adjust(6000)
      yield* settle
      assert.deepStrictEqual(expired, [2, 1, 3], "a closed timer expires nothing twice")
    }))

  it.effect("a batch due at once expires in slices, with a pause between, each entry at its own deadline", () =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      const log: Array<string> = []
      // A pause that notes itself: where the live clock would give the event loop a turn.
      const deadlines = new Deadlines(yield* Effect.clock, Runtime.runFork(runtime), 4, Effect.sync(() => log.push("|")))
      const entry = (deadline: number, id: number): Expirable => ({
        deadline,
        heapIndex: -1,
        sequence: 0,
        expire: () => log.push(`${id}@${deadlines.now()}`)
      })
      for (let id = 0; id < 10; id++) deadlines.add(entry(100, id))
      deadlines.add(entry(150, 10))
      yield* settle
      yield* TestClock.adjust(100)
      yield* settle
      assert.deepStrictEqual(log, [
        "0@100", "1@100", "2@100", "3@100", "|",
        "4@100", "5@100", "6@100", "7@100", "|",
        "8@100", "9@100"
      ])
      assert.strictEqual(deadlines.size, 1, "the later deadline is still waiting")
      yield* TestClock.adjust(50)
      yield* settle
      assert.deepStrictEqual(log.slice(12), ["10@150"], "a deadline after the batch expires on time, alone")
      yield* deadlines.close()
    }))
})
