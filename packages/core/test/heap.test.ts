/**
 * The deadline heap against a model: random registrations (ties included),
 * removals, and expiries in slices of random size, some of whose `expire`
 * throws. Every entry must expire exactly once, in (deadline, registration)
 * order, never before its deadline, and a removed one never; a throwing
 * `expire` neither stops the slice nor is lost.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DeadlineHeap, type Expirable } from "../src/deadlines/heap.js"

const operation = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      after: fc.integer({ min: 0, max: 20 }),
      throws: fc.boolean()
    })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("expire" as const),
      by: fc.integer({ min: 0, max: 10 }),
      limit: fc.integer({ min: 1, max: 4 })
    })
  }
)
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never

interface Entry extends Expirable {
  readonly id: number
  readonly throws: boolean
  /** When the model registered it: the tie-break the heap must reproduce. */
  readonly order: number
}

describe("DeadlineHeap", () => {
  it("expires every entry once, in (deadline, registration) order, in slices; removed ones never", () =>
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 80 }), (operations: ReadonlyArray<Operation>) => {
        const heap = new DeadlineHeap()
        const expired: Array<number> = []
        let live: Array<Entry> = []
        let now = 0
        let nextId = 0
        const byDeadline = (a: Entry, b: Entry) => a.deadline - b.deadline || a.order - b.order
        for (const op of operations) {
          switch (op.kind) {
            case "add": {
              const id = nextId++
              const entry: Entry = {
                id,
                throws: op.throws,
                order: id,
                deadline: now + op.after,
                heapIndex: -1,
                sequence: 0,
                expire() {
                  expect(this.deadline).toBeLessThanOrEqual(now)
                  expired.push(this.id)
                  if (this.throws) throw new Error(`expire ${this.id}`)
                }
              }
              heap.add(entry)
              live.push(entry)
              break
            }
            case "remove": {
              if (live.length === 0) break
              const entry = live[op.pick % live.length]
              heap.remove(entry)
              expect(entry.heapIndex).toBe(-1)
              // Removing again does nothing.
              heap.remove(entry)
              live = live.filter((e) => e !== entry)
              break
            }
            case "expire": {
              now += op.by
              const due = live.filter((e) => e.deadline <= now).sort(byDeadline).slice(0, op.limit)
              const before = expired.length
              const errors = heap.expireDue(now, op.limit)
              expect(expired.slice(before)).toEqual(due.map((e) => e.id))
              const thrown = due.filter((e) => e.throws).map((e) => `expire ${e.id}`)
              expect(errors?.map((e) => (e as Error).message)).toEqual(thrown.length === 0 ? undefined : thrown)
              for (const e of due) expect(e.heapIndex).toBe(-1)
              live = live.filter((e) => !due.includes(e))
              break
            }
          }
          expect(heap.size).toBe(live.length)
          expect(heap.peek()).toBe([...live].sort(byDeadline)[0])
          for (const e of live) expect(e.heapIndex).toBeGreaterThanOrEqual(0)
        }
        // Closing: everything left expires at once, in order, whatever its deadline.
        const before = expired.length
        const rest = [...live].sort(byDeadline)
        now = Infinity
        const errors = heap.expireAll()
        expect(expired.slice(before)).toEqual(rest.map((e) => e.id))
        expect(errors?.length).toBe(rest.some((e) => e.throws) ? rest.filter((e) => e.throws).length : undefined)
        expect(heap.size).toBe(0)
        expect(heap.peek()).toBeUndefined()
        // Each entry expired at most once.
        expect(new Set(expired).size).toBe(expired.length)
      })
    ))

  it("answers nothing due before the earliest deadline", () => {
    const heap = new DeadlineHeap()
    const entry: Expirable = { deadline: 10, heapIndex: -1, sequence: 0, expire: () => expect.fail("expired early") }
    heap.add(entry)
    expect(heap.expireDue(9, 256)).toBeUndefined()
    expect(heap.size).toBe(1)
    expect(heap.peek()).toBe(entry)
  })
})
