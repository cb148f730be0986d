/**
 * Interruption sweep of a guard on Effect 4: `Limiter.withResources` over
 * two resources, and `Limiter.acquire`, interrupted at every op of the
 * runtime they pass through — taking the first permit, queueing for the
 * second, at the hand-off, running, releasing — uncontended, and queued
 * behind a holder that leaves part-way (so that some interrupts race the
 * grant). Whatever the op, every permit comes back and nobody is left
 * queued: the limiter's stats are all zero afterwards, and every permit
 * can be taken again.
 */
import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import { settle } from "./utils/effects.js"
import { InterruptAt } from "./utils/interruptAt.js"
import { usage } from "./utils/limiter.js"

const Db = Resource.make("Db", { capacity: 1 })
const Fs = Resource.make("Fs", { capacity: 2, partitions: { web: 0.5, jobs: 0.5 } })
// Fs first in the canonical order: a guard queued for Db holds a permit of Fs meanwhile.
const LimiterLive = Limiter.layer({ timeout: "1 hour", resources: [Fs, Db] })

const body = Effect.andThen(Effect.yieldNow, Effect.yieldNow)

const shapes = {
  withResources: body.pipe(Limiter.withResources([Fs, Db], { partition: "web" })),
  acquire: Effect.scoped(Effect.andThen(Limiter.acquire([Fs, Db], { partition: "jobs" }), body))
}

/** One run, interrupting at op `at`; answers how many ops the guard's fibers ran. */
const runOnce = (shape: keyof typeof shapes, queued: boolean, at: number, whom: "root" | "current") =>
  Effect.gen(function*() {
    // A holder of Db that the guard queues behind, released once it is parked.
    const gate = yield* Deferred.make<void>()
    const holder = queued ? yield* Effect.forkChild(Deferred.await(gate).pipe(Limiter.withResources([Db]))) : undefined
    yield* settle
    const scheduler = new InterruptAt(yield* Scheduler.Scheduler, at, whom)
    const fiber = yield* Effect.forkChild(shapes[shape].pipe(Effect.provideService(Scheduler.Scheduler, scheduler)))
    scheduler.target = fiber
    yield* settle
    if (holder !== undefined) {
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* settle
    }
    const exit = yield* Fiber.await(fiber)
    const label = `${shape}: interrupt ${whom} at op ${at}${queued ? " (queued)" : ""}`
    if (Exit.isFailure(exit)) {
      assert.isTrue(Cause.hasInterruptsOnly(exit.cause), `${label}: ${Cause.pretty(exit.cause)}`)
    }
    assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] }, label)
    // Every permit can be taken again, and not one more.
    const [db, fs] = [yield* Db, yield* Fs]
    assert.isTrue(db.unsafeTryTake(1) && fs.unsafeTryTake(2), label)
    assert.isFalse(db.unsafeTryTake(1) || fs.unsafeTryTake(1), label)
    db.unsafeRelease(1)
    fs.unsafeRelease(2)
    return { ops: scheduler.count, interrupted: Exit.isFailure(exit) }
  })

describe("guard interruption sweep", () => {
  for (const shape of ["withResources", "acquire"] as const) {
    for (const queued of [false, true]) {
      for (const whom of ["root", "current"] as const) {
        it.effect(`${shape}, ${queued ? "queued" : "uncontended"}, interrupting the ${whom} fiber`, () =>
          Effect.gen(function*() {
            const { ops } = yield* runOnce(shape, queued, -1, whom)
            assert.isAbove(ops, 5)
            let interrupted = 0
            for (let at = 0; at <= ops; at++) {
              if ((yield* runOnce(shape, queued, at, whom)).interrupted) interrupted++
            }
            assert.isAbove(interrupted, 0)
          }).pipe(Effect.provide(LimiterLive)))
      }
    }
  }
})
