/**
 * The semaphore's model and driver: random sequences of take / withPermits /
 * withPermitsIfAvailable / tryTake / release / interrupt / resize /
 * releaseAll / timeout run against the real semaphore and against a plain
 * model of it, on a virtual clock. Used by test/Semaphore.property.test.ts and
 * by `npm run stress:model`.
 *
 * After every step the two must agree on capacity, permits in use, queue
 * length and the order of grants; the permits held by the guarded effects
 * that are actually running (counted by the effects themselves, not read
 * from the semaphore) must be what the model says, and never more than the
 * capacity at a grant. At quiescence nothing is waiting, nothing is leaked
 * (unless a stale raw release took a later raw take's permits: a raw
 * release returns only what raw takes hold since the last `releaseAll`,
 * never the permits of a `withPermits` holder), and every fiber ended
 * exactly as the model says: its own success, failure or defect, a
 * timeout, an interruption — and a defect from a release only where the
 * model says the release was of permits no longer taken.
 */
import { Cause, Deferred, Effect, Exit, Fiber, Option } from "effect"
import * as fc from "effect/FastCheck"
import * as Semaphore from "../../src/Semaphore.js"
import { type Counter, expectEqual, expectTrue, uncounted } from "./check.js"
import { modelRuntime, settle } from "./runtime.js"

type Mode = "withPermits" | "take" | "timed"

/** How a guarded effect ends once the test opens its gate. */
type Hold = "succeed" | "fail" | "die"

/** The semaphore's initial capacity. */
export const initial = fc.integer({ min: 0, max: 4 })

export const command = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("acquire" as const),
      n: fc.integer({ min: 1, max: 3 }),
      mode: fc.constantFrom<Mode>("withPermits", "take", "timed"),
      timeout: fc.integer({ min: 1, max: 50 }),
      hold: fc.constantFrom<Hold>("succeed", "fail", "die")
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("ifAvailable" as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tryTake" as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("release" as const), i: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("interrupt" as const), i: fc.nat() }) },
  // A release and, in the same step, an interruption of the first waiter it
  // admits: the interruption races the hand-off.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("race" as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resize" as const), capacity: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("releaseAll" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const) }) }
)

export type Command = typeof command extends fc.Arbitrary<infer T> ? T : never

/**
 * A whole scenario: the initial capacity and the commands. fast-check
 * favours short arrays unless `size` is `"max"` (lengths then spread evenly
 * up to `maxLength`), which the stress run uses for deeper queues.
 */
export const scenario = (maxLength = 40, size: fc.SizeForArbitrary = "small") =>
  fc.tuple(initial, fc.array(command, { minLength: 1, maxLength, size }))

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

/** How a fiber ended, as both sides classify it. */
interface Ending {
  readonly tag: "succeeded" | "failed" | "died" | "interrupted" | "timeout" | "unexpected defect"
  /** Whether a release of permits no longer taken died. */
  readonly releaseDefect: boolean
}

/** The plain model: a counter, a FIFO array and an epoch. */
export class Model {
  inUse = 0
  /** Set once a raw release of an older epoch returned permits a later raw take holds. */
  stolen = false
  /** Permits held by raw takes since the last releaseAll: what raw releases may return. */
  raw = 0
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
    if (kind === "raw") this.raw += n
    this.holders.push({ id, n, kind, epoch: this.epoch })
    this.grants.push(id)
  }
  wake() {
    while (this.queue.length > 0 && this.capacity - this.inUse >= this.queue[0]!.n) {
      const w = this.queue.shift()!
      this.grant(w.id, w.n, w.kind)
    }
  }
  /** Returns the holder's permits; answers whether that release is a defect. */
  release(holder: ModelHolder): boolean {
    this.holders = this.holders.filter((h) => h !== holder)
    let defect = false
    // An epoch release returns its own permits, or is skipped after a
    // releaseAll. A raw release returns a count of the permits raw takes
    // hold (since the last releaseAll): past that count it is a defect that
    // changes nothing, so it can never return the permits of an epoch
    // holder. Raw permits are told apart by count only, so a stale raw
    // release may still return a later raw take's, whose own release then dies.
    if (holder.kind === "epoch") {
      if (holder.epoch === this.epoch) this.inUse -= holder.n
    } else if (holder.n <= this.raw) {
      this.raw -= holder.n
      this.inUse -= holder.n
      if (holder.epoch !== this.epoch) this.stolen = true
    } else {
      defect = true
    }
    this.wake()
    return defect
  }
  leave(id: number) {
    this.queue = this.queue.filter((w) => w.id !== id)
    this.wake()
  }
  /** Permits held by holders granted since the last releaseAll. */
  get heldNow(): number {
    return this.holders.reduce((sum, h) => sum + (h.epoch === this.epoch ? h.n : 0), 0)
  }
}

interface Live {
  readonly id: number
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  readonly gate: Deferred.Deferred<void>
  readonly hold: Hold
}

const classify = (exit: Exit.Exit<unknown, unknown>): Ending => {
  if (Exit.isSuccess(exit)) return { tag: "succeeded", releaseDefect: false }
  const cause = exit.cause
  const defects = [...Cause.defects(cause)]
  const releaseDefect = defects.some((d) => d instanceof RangeError)
  const failure = Cause.failureOption(cause)
  const tag = defects.some((d) => d !== "died" && !(d instanceof RangeError))
    ? "unexpected defect"
    : Option.isSome(failure)
    ? (failure.value === "timeout" ? "timeout" : "failed")
    : defects.includes("died")
    ? "died"
    : Cause.isInterrupted(cause)
    ? "interrupted"
    // Only the release died: the effect itself succeeded.
    : "succeeded"
  return { tag, releaseDefect }
}

const endingOfHold = (hold: Hold): Ending["tag"] =>
  hold === "succeed" ? "succeeded" : hold === "fail" ? "failed" : "died"

/**
 * Runs `commands` against a semaphore of `initial` permits and its model,
 * checking after every step and at quiescence. Fails with a `ModelMismatch`
 * (a defect of the returned effect) at the first disagreement. Runs on a
 * `ManualClock` of its own.
 */
export const runScenario = (initial: number, commands: ReadonlyArray<Command>, counter: Counter = uncounted()) =>
  modelRuntime((clock) => Effect.gen(function*() {
    const sem = yield* Semaphore.make(initial)
    const model = new Model(initial)
    const grants: Array<number> = []
    const violations: Array<string> = []
    const live = new Map<number, Live>()
    /** Every fiber the test forked, and how the model says it must end. */
    const fibers = new Map<number, Fiber.RuntimeFiber<unknown, unknown>>()
    const expected = new Map<number, Ending>()
    /** Waiters interrupted as they were admitted: their body may or may not have run. */
    const raced = new Set<number>()
    /** The guarded effects running now: permits and the releaseAll epoch of their grant. */
    const running = new Map<number, { readonly n: number; readonly epoch: number }>()
    let epoch = 0
    let nextId = 0

    const heldNow = () => {
      let sum = 0
      for (const r of running.values()) if (r.epoch === epoch) sum += r.n
      return sum
    }
    const granted = (id: number, n: number) =>
      Effect.sync(() => {
        grants.push(id)
        running.set(id, { n, epoch })
        const { capacity, inUse } = sem.unsafeStats()
        if (inUse > capacity) violations.push(`grant to ${id} with inUse ${inUse} > capacity ${capacity}`)
        const held = heldNow()
        if (held > capacity && !model.stolen) violations.push(`grant to ${id}: ${held} permits held > capacity ${capacity}`)
      })
    const ended = (id: number) => Effect.sync(() => running.delete(id))

    const check = (step: string) => {
      const stats = sem.unsafeStats()
      expectEqual(
        stats,
        { capacity: model.capacity, inUse: model.inUse, waiting: model.queue.length },
        `stats after ${step}`
      )
      expectEqual(
        grants.filter((id) => !raced.has(id)),
        model.grants.filter((id) => !raced.has(id)),
        `grant order after ${step}`
      )
      expectEqual(heldNow(), model.heldNow, `permits held by running effects after ${step}`)
      expectEqual(violations, [], `invariants after ${step}`)
    }

    /** Ends a holder as the model says: its gate opens, or its permits are released directly. */
    const finish = (holder: ModelHolder) =>
      Effect.gen(function*() {
        const entry = live.get(holder.id)!
        live.delete(holder.id)
        const defect = model.release(holder)
        if (entry.fiber === undefined) {
          running.delete(holder.id)
          const exit = yield* Effect.exit(sem.release(holder.n))
          expectEqual(classify(exit).releaseDefect, defect, `release of tryTake ${holder.id} dies iff a defect`)
        } else {
          expected.set(holder.id, { tag: endingOfHold(entry.hold), releaseDefect: defect })
          yield* Deferred.succeed(entry.gate, undefined)
        }
      })

    /** Interrupts a queued or holding fiber; the model's side is done by the caller. */
    const interrupt = (id: number, releaseDefect: boolean) =>
      Effect.gen(function*() {
        const entry = live.get(id)!
        live.delete(id)
        expected.set(id, { tag: "interrupted", releaseDefect })
        yield* Fiber.interrupt(entry.fiber!)
      })

    const leaveOrRelease = (id: number): boolean => {
      const holder = model.holders.find((h) => h.id === id)
      if (holder === undefined) {
        model.leave(id)
        return false
      }
      return model.release(holder)
    }

    for (const [step, cmd] of commands.entries()) {
      counter.ops++
      const label = `#${step} ${JSON.stringify(cmd)}`
      switch (cmd.kind) {
        case "acquire": {
          const id = nextId++
          const gate = yield* Deferred.make<void>()
          // Grants are logged by the first thing each fiber does once resumed,
          // so the log order is the order in which the semaphore resumed them.
          const end = cmd.hold === "fail"
            ? Effect.fail("failed" as const)
            : cmd.hold === "die"
            ? Effect.die("died")
            : Effect.void
          const hold = Effect.zipRight(Deferred.await(gate), end)
          // Distinct deadlines, so that one clock step times out one waiter.
          let deadline = model.now + cmd.timeout
          while (model.queue.some((w) => w.deadline === deadline)) deadline++
          const raw = Effect.acquireRelease(
            Effect.interruptible(sem.take(cmd.n)).pipe(Effect.tap(granted(id, cmd.n))),
            () => Effect.zipRight(ended(id), sem.release(cmd.n))
          )
          const program = cmd.mode === "withPermits"
            ? sem.withPermits(cmd.n)(Effect.ensuring(Effect.zipRight(granted(id, cmd.n), hold), ended(id)))
            : cmd.mode === "take"
            ? Effect.scoped(Effect.zipRight(raw, hold))
            : Effect.scoped(Effect.zipRight(
              raw.pipe(Effect.timeoutFail({ duration: deadline - model.now, onTimeout: () => "timeout" })),
              hold
            ))
          const fiber = yield* Effect.fork(program)
          fibers.set(id, fiber)
          live.set(id, { id, fiber, gate, hold: cmd.hold })
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
            sem.withPermitsIfAvailable(cmd.n)(
              Effect.ensuring(Effect.zipRight(granted(id, cmd.n), Deferred.await(gate)), ended(id))
            )
          )
          fibers.set(id, fiber)
          if (model.canTakeNow(cmd.n)) {
            model.grant(id, cmd.n, "epoch")
            live.set(id, { id, fiber, gate, hold: "succeed" })
          } else {
            expected.set(id, { tag: "succeeded", releaseDefect: false })
          }
          break
        }
        case "tryTake": {
          const id = nextId++
          const took = yield* sem.tryTake(cmd.n)
          expectEqual(took, model.canTakeNow(cmd.n), `tryTake at ${label}`)
          if (took) {
            yield* granted(id, cmd.n)
            model.grant(id, cmd.n, "raw")
            live.set(id, { id, fiber: undefined, gate: yield* Deferred.make<void>(), hold: "succeed" })
          }
          break
        }
        case "release": {
          if (model.holders.length === 0) break
          yield* finish(model.holders[cmd.i % model.holders.length]!)
          break
        }
        case "race": {
          if (model.holders.length === 0) break
          const before = model.grants.length
          yield* finish(model.holders[cmd.i % model.holders.length]!)
          // No settling in between: the interruption is sent while the
          // admitted waiter's resumption is still pending.
          const admitted = model.grants.slice(before).find((id) => live.get(id)?.fiber !== undefined)
          if (admitted === undefined) break
          raced.add(admitted)
          yield* interrupt(admitted, leaveOrRelease(admitted))
          break
        }
        case "interrupt": {
          const targets = [...model.queue.map((w) => w.id), ...model.holders.map((h) => h.id)]
            .filter((id) => live.get(id)?.fiber !== undefined)
          if (targets.length === 0) break
          const id = targets[cmd.i % targets.length]!
          yield* interrupt(id, leaveOrRelease(id))
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
          epoch++
          model.inUse = 0
          model.raw = 0
          model.epoch++
          model.wake()
          break
        }
        case "advance": {
          const deadlines = model.queue.flatMap((w) => w.deadline === undefined ? [] : [w.deadline])
          if (deadlines.length === 0) break
          const next = Math.min(...deadlines)
          yield* clock.adjust(next - model.now)
          model.now = next
          // Every waiter whose deadline has come times out, in deadline order.
          for (const w of [...model.queue].sort((a, b) => (a.deadline ?? Infinity) - (b.deadline ?? Infinity))) {
            if (w.deadline !== undefined && w.deadline <= next && model.queue.includes(w)) {
              live.delete(w.id)
              expected.set(w.id, { tag: "timeout", releaseDefect: false })
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
    for (const entry of [...live.values()]) {
      if (entry.fiber === undefined) {
        const holder = model.holders.find((h) => h.id === entry.id)
        if (holder !== undefined) yield* finish(holder)
      } else {
        yield* interrupt(entry.id, leaveOrRelease(entry.id))
      }
      yield* settle
    }
    check("quiescence")
    expectEqual(sem.unsafeStats().waiting, 0, "waiting at quiescence")
    expectEqual(running.size, 0, "guarded effects still running at quiescence")
    // Only a stale raw release, taking a later raw take's permits, can leave permits counted.
    if (!model.stolen) expectEqual(sem.unsafeStats().inUse, 0, "permits leaked at quiescence")
    for (const [id, fiber] of fibers) {
      const exit = yield* Fiber.await(fiber)
      expectTrue(expected.has(id), `fiber ${id} ended although the model has it running`)
      expectEqual(classify(exit), expected.get(id)!, `how fiber ${id} ended (${String(exit)})`)
    }
  }))
