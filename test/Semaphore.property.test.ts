/**
 * Model-based property test: random sequences of take / withPermits /
 * withPermitsIfAvailable / tryTake / release / interrupt / resize /
 * releaseAll / timeout run against the real semaphore and against a plain
 * model of it. After every step the two must agree on capacity, permits in
 * use, queue length and the order of grants; every grant must happen with
 * in-use ≤ capacity; at quiescence nothing is leaked or released twice.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, TestClock } from "effect"
import * as fc from "effect/FastCheck"
import * as Semaphore from "../src/Semaphore.js"

type Mode = "withPermits" | "take" | "timed"

const command = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("acquire" as const),
      n: fc.integer({ min: 1, max: 3 }),
      mode: fc.constantFrom<Mode>("withPermits", "take", "timed"),
      timeout: fc.integer({ min: 1, max: 50 })
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("ifAvailable" as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tryTake" as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("release" as const), i: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("interrupt" as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resize" as const), capacity: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("releaseAll" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const) }) }
)

type Command = typeof command extends fc.Arbitrary<infer T> ? T : never

/**
 * How a holder gives its permits back: `epoch` releases (withPermits,
 * withPermitsIfAvailable) are skipped after a releaseAll; `raw` releases
 * (take/release, tryTake) count against whatever is in use.
 */
type ReleaseKind = "epoch" | "raw"

interface ModelWaiter {
  readonly id: number
  readonly n: number
  readonly kind: ReleaseKind
  readonly deadline: number | undefined
}

interface ModelHolder {
  readonly id: number
  readonly n: number
  readonly kind: ReleaseKind
  readonly epoch: number
}

/** The plain model: a counter, a FIFO array and an epoch. */
class Model {
  inUse = 0
  epoch = 0
  now = 0
  queue: Array<ModelWaiter> = []
  holders: Array<ModelHolder> = []
  grants: Array<number> = []
  constructor(public capacity: number) {}

  canTakeNow(n: number) {
    return this.queue.length === 0 && this.capacity - this.inUse >= n
  }
  grant(id: number, n: number, kind: ReleaseKind) {
    this.inUse += n
    this.holders.push({ id, n, kind, epoch: this.epoch })
    this.grants.push(id)
  }
  wake() {
    while (this.queue.length > 0 && this.capacity - this.inUse >= this.queue[0]!.n) {
      const w = this.queue.shift()!
      this.grant(w.id, w.n, w.kind)
    }
  }
  release(holder: ModelHolder) {
    this.holders = this.holders.filter((h) => h !== holder)
    // An epoch release is skipped after a releaseAll; any release of more
    // than is in use (a raw release after releaseAll stole the permits) is a
    // defect that changes nothing.
    if ((holder.kind === "raw" || holder.epoch === this.epoch) && holder.n <= this.inUse) {
      this.inUse -= holder.n
    }
    this.wake()
  }
  leave(id: number) {
    this.queue = this.queue.filter((w) => w.id !== id)
    this.wake()
  }
}

/** Lets every forked fiber run until it parks again. */
const settle = Effect.repeatN(Effect.yieldNow(), 40)

interface Live {
  readonly id: number
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  readonly gate: Deferred.Deferred<void>
}

const runScenario = (initial: number, commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    const sem = yield* Semaphore.make(initial)
    const model = new Model(initial)
    const grants: Array<number> = []
    const violations: Array<string> = []
    const live = new Map<number, Live>()
    let nextId = 0

    const granted = (id: number) =>
      Effect.sync(() => {
        grants.push(id)
        const { capacity, inUse } = sem.unsafeStats()
        if (inUse > capacity) violations.push(`grant to ${id} with inUse ${inUse} > capacity ${capacity}`)
      })

    const check = (step: string) => {
      const stats = sem.unsafeStats()
      assert.deepStrictEqual(
        stats,
        { capacity: model.capacity, inUse: model.inUse, waiting: model.queue.length },
        `stats after ${step}`
      )
      assert.deepStrictEqual(grants, model.grants, `grant order after ${step}`)
      assert.deepStrictEqual(violations, [], `invariant after ${step}`)
    }

    for (const [step, cmd] of commands.entries()) {
      const label = `#${step} ${JSON.stringify(cmd)}`
      switch (cmd.kind) {
        case "acquire": {
          const id = nextId++
          const gate = yield* Deferred.make<void>()
          // Grants are logged by the first thing each fiber does once resumed,
          // so the log order is the order in which the semaphore resumed them.
          const hold = Deferred.await(gate)
          // Distinct deadlines, so that one clock step times out one waiter.
          let deadline = model.now + cmd.timeout
          while (model.queue.some((w) => w.deadline === deadline)) deadline++
          const raw = Effect.acquireRelease(
            Effect.interruptible(sem.take(cmd.n)).pipe(Effect.tap(granted(id))),
            () => sem.release(cmd.n)
          )
          const program = cmd.mode === "withPermits"
            ? sem.withPermits(cmd.n)(Effect.zipRight(granted(id), hold))
            : cmd.mode === "take"
            ? Effect.scoped(Effect.zipRight(raw, hold))
            : Effect.scoped(Effect.zipRight(
              raw.pipe(Effect.timeoutFail({ duration: deadline - model.now, onTimeout: () => "timeout" })),
              hold
            ))
          const fiber = yield* Effect.fork(program)
          live.set(id, { id, fiber, gate })
          const kind: ReleaseKind = cmd.mode === "withPermits" ? "epoch" : "raw"
          if (model.canTakeNow(cmd.n)) {
            model.grant(id, cmd.n, kind)
          } else {
            model.queue.push({ id, n: cmd.n, kind, deadline: cmd.mode === "timed" ? deadline : undefined })
          }
          break
        }
        case "ifAvailable": {
          const id = nextId++
          const gate = yield* Deferred.make<void>()
          const fiber = yield* Effect.fork(
            sem.withPermitsIfAvailable(cmd.n)(granted(id).pipe(Effect.zipRight(Deferred.await(gate))))
          )
          if (model.canTakeNow(cmd.n)) {
            model.grant(id, cmd.n, "epoch")
            live.set(id, { id, fiber, gate })
          }
          break
        }
        case "tryTake": {
          const id = nextId++
          const took = yield* sem.tryTake(cmd.n)
          assert.strictEqual(took, model.canTakeNow(cmd.n), label)
          if (took) {
            yield* granted(id)
            model.grant(id, cmd.n, "raw")
            live.set(id, { id, fiber: undefined, gate: yield* Deferred.make<void>() })
          }
          break
        }
        case "release": {
          if (model.holders.length === 0) break
          const holder = model.holders[cmd.i % model.holders.length]!
          const entry = live.get(holder.id)!
          live.delete(holder.id)
          if (entry.fiber === undefined) {
            yield* Effect.exit(sem.release(holder.n))
          } else {
            yield* Deferred.succeed(entry.gate, undefined)
          }
          model.release(holder)
          break
        }
        case "interrupt": {
          const targets = [...model.queue.map((w) => w.id), ...model.holders.map((h) => h.id)]
            .filter((id) => live.get(id)?.fiber !== undefined)
          if (targets.length === 0) break
          const id = targets[cmd.i % targets.length]!
          const entry = live.get(id)!
          live.delete(id)
          yield* Fiber.interrupt(entry.fiber!)
          const holder = model.holders.find((h) => h.id === id)
          if (holder === undefined) model.leave(id)
          else model.release(holder)
          break
        }
        case "resize": {
          yield* sem.resize(cmd.capacity)
          model.capacity = cmd.capacity
          model.wake()
          break
        }
        case "releaseAll": {
          yield* sem.releaseAll
          model.inUse = 0
          model.epoch++
          model.wake()
          break
        }
        case "advance": {
          const deadlines = model.queue.flatMap((w) => w.deadline === undefined ? [] : [w.deadline])
          if (deadlines.length === 0) break
          const next = Math.min(...deadlines)
          yield* TestClock.adjust(next - model.now)
          model.now = next
          // Every waiter whose deadline has come times out, in deadline order.
          for (const w of [...model.queue].sort((a, b) => (a.deadline ?? Infinity) - (b.deadline ?? Infinity))) {
            if (w.deadline !== undefined && w.deadline <= next && model.queue.includes(w)) {
              live.delete(w.id)
              model.leave(w.id)
            }
          }
          break
        }
      }
      yield* settle
      check(label)
    }

    // Quiescence: release every holder, interrupt every waiter.
    for (const entry of live.values()) {
      if (entry.fiber === undefined) {
        const holder = model.holders.find((h) => h.id === entry.id)
        if (holder !== undefined) {
          yield* Effect.exit(sem.release(holder.n))
          model.release(holder)
        }
      } else {
        yield* Fiber.interrupt(entry.fiber)
        const holder = model.holders.find((h) => h.id === entry.id)
        if (holder === undefined) model.leave(entry.id)
        else model.release(holder)
      }
      yield* settle
    }
    check("quiescence")
    assert.strictEqual(sem.unsafeStats().waiting, 0)
    // Without releaseAll's theft by raw releases, nothing can be left in use.
    if (!commands.some((c) => c.kind === "releaseAll")) {
      assert.strictEqual(sem.unsafeStats().inUse, 0, "leaked permits")
    }
  })

describe("Semaphore against a model", () => {
  it.effect.prop(
    "agrees with the model at every step",
    [fc.integer({ min: 0, max: 4 }), fc.array(command, { minLength: 1, maxLength: 40 })],
    ([initial, commands]) => runScenario(initial, commands),
    { timeout: 60_000, fastCheck: { numRuns: 300 } }
  )

  it.effect.prop(
    "never leaks without releaseAll",
    [
      fc.integer({ min: 1, max: 3 }),
      fc.array(command.filter((c) => c.kind !== "releaseAll"), { minLength: 1, maxLength: 60 })
    ],
    ([initial, commands]) => runScenario(initial, commands),
    { timeout: 60_000, fastCheck: { numRuns: 200 } }
  )

  it.effect("model sanity: exit of a timed waiter is a timeout", () =>
    Effect.gen(function*() {
      const sem = yield* Semaphore.make(0)
      const fiber = yield* Effect.fork(Effect.scoped(
        Effect.acquireRelease(Effect.interruptible(sem.take(1)), () => sem.release(1)).pipe(
          Effect.timeoutFail({ duration: 10, onTimeout: () => "timeout" })
        )
      ))
      yield* settle
      yield* TestClock.adjust(10)
      assert.deepStrictEqual(yield* Fiber.await(fiber), Exit.fail("timeout"))
    }))
})
