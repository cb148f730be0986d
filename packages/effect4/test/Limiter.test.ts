/**
 * `Limiter.withResources` on Effect 4: permits taken and given back however
 * the effect ends, the queue, one deadline for the whole acquisition on the
 * TestClock, the canonical order, and the guard's own checks.
 */
import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/testing/TestClock"
import { poll, settle } from "./utils/effects.js"
import { assertBusy, hold, usage } from "./utils/limiter.js"

const Db = Resource.make("Db", { capacity: 2 })
const Fs = Resource.make("Fs", { capacity: 1 })

const LimiterLive = Limiter.layer({ timeout: "2 seconds", resources: [Db, Fs] })

describe("Limiter.withResources", () => {
  it.effect("runs the effect and releases its permit", () =>
    Effect.gen(function*() {
      const result = yield* Effect.succeed(42).pipe(Limiter.withResources([Db]))
      assert.strictEqual(result, 42)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("is data-first as well as data-last", () =>
    Effect.gen(function*() {
      const result = yield* Limiter.withResources(Effect.succeed("ok"), [Db, Fs])
      assert.strictEqual(result, "ok")
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("runs requests within capacity all at once", () =>
    Effect.gen(function*() {
      const first = yield* hold([Db])
      const second = yield* hold([Db])
      yield* Deferred.await(first.entered)
      yield* Deferred.await(second.entered)
      assert.deepStrictEqual(yield* usage, { Db: [2, 0], Fs: [0, 0] })
      yield* Deferred.succeed(first.gate, undefined)
      yield* Deferred.succeed(second.gate, undefined)
      yield* Fiber.join(first.fiber)
      yield* Fiber.join(second.fiber)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("queues past capacity and fails with BusyError when the timeout passes", () =>
    Effect.gen(function*() {
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      const ran = yield* Ref.make(false)
      const waiter = yield* Ref.set(ran, true).pipe(Limiter.withResources([Fs]), Effect.forkChild)
      yield* settle
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [1, 1] })

      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(yield* poll(waiter), "still queued before the deadline")

      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.await(waiter)
      const busy = assertBusy(exit, "Fs", Duration.seconds(2))
      assert.strictEqual(busy.retryAfterSeconds, 2)
      assert.isFalse(yield* Ref.get(ran), "the guarded effect never ran")
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [1, 0] }, "the queue is empty again")

      yield* Deferred.succeed(holder.gate, undefined)
      yield* Fiber.join(holder.fiber)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("hands the permit to the queued request when it is released in time", () =>
    Effect.gen(function*() {
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      const waiter = yield* Effect.succeed("served").pipe(Limiter.withResources([Fs]), Effect.forkChild)
      yield* TestClock.adjust("1 second")
      yield* Deferred.succeed(holder.gate, undefined)
      assert.strictEqual(yield* Fiber.join(waiter), "served")
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("releases the permit after a failure, a defect and an interruption", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.fail("boom" as const).pipe(Limiter.withResources([Db, Fs]), Effect.exit)
      assert.deepStrictEqual(failure, Exit.fail("boom"))
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })

      const defect = yield* Effect.die("bug").pipe(Limiter.withResources([Db, Fs]), Effect.exit)
      assert.isTrue(Exit.isFailure(defect) && Cause.hasDies(defect.cause))
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })

      const running = yield* hold([Db, Fs])
      yield* Deferred.await(running.entered)
      assert.deepStrictEqual(yield* usage, { Db: [1, 0], Fs: [1, 0] })
      yield* Fiber.interrupt(running.fiber)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a queued request that is interrupted leaves the queue", () =>
    Effect.gen(function*() {
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      const queued = yield* Effect.void.pipe(Limiter.withResources([Db, Fs]), Effect.forkChild)
      yield* settle
      assert.deepStrictEqual(yield* usage, { Db: [1, 0], Fs: [1, 1] }, "holds Db while it waits for Fs")
      yield* Fiber.interrupt(queued)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [1, 0] }, "Db released, Fs queue empty")
      yield* Deferred.succeed(holder.gate, undefined)
      yield* Fiber.join(holder.fiber)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("takes resources in the limiter's order whatever order the guard lists them in", () =>
    Effect.gen(function*() {
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      // Listed Fs first, but Db comes first in the layer: Db is taken, then it waits for Fs.
      const reversed = yield* Effect.void.pipe(Limiter.withResources([Fs, Db]), Effect.forkChild)
      yield* settle
      assert.deepStrictEqual(yield* usage, { Db: [1, 0], Fs: [1, 1] })
      yield* TestClock.adjust("2 seconds")
      const exit = yield* Fiber.await(reversed)
      assertBusy(exit, "Fs", Duration.seconds(2))
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [1, 0] }, "Db released after the timeout")
      yield* Fiber.interrupt(holder.fiber)
    }).pipe(Effect.provide(LimiterLive)))

  describe("the canonical order, whatever order a guard lists its resources in", () => {
    const First = Resource.make("OrderFirst", { capacity: 1 })
    const Second = Resource.make("OrderSecond", { capacity: 1 })
    const Ordered = Limiter.layer({ timeout: Duration.infinity, resources: [First, Second] })

    // The deadlock, made to happen: H holds First; A = [First, Second] queues
    // for First; B = [Second, First], in its own order, would take Second and
    // queue for First behind A; H leaves, First goes to A, and A waits for
    // Second, held by B, which waits for First, held by A. In canonical order
    // B queues for First holding nothing, and both run, A first.
    it.effect("a guard listing Second first waits for First holding nothing, so it cannot deadlock", () =>
      Effect.gen(function*() {
        const ran: Array<string> = []
        const body = (name: string) => Effect.sync(() => ran.push(name))
        const holder = yield* hold([First])
        yield* Deferred.await(holder.entered)
        const a = yield* body("A").pipe(Limiter.withResources([First, Second]), Effect.forkChild)
        yield* settle
        const b = yield* body("B").pipe(Limiter.withResources([Second, First]), Effect.forkChild)
        yield* settle
        assert.deepStrictEqual(yield* usage, { OrderFirst: [1, 2], OrderSecond: [0, 0] }, "B holds nothing while it waits")
        yield* Deferred.succeed(holder.gate, undefined)
        yield* settle
        assert.deepStrictEqual([yield* poll(a), yield* poll(b)], [Exit.succeed(1), Exit.succeed(2)], "deadlocked")
        assert.deepStrictEqual(ran, ["A", "B"])
        assert.deepStrictEqual(yield* usage, { OrderFirst: [0, 0], OrderSecond: [0, 0] })
      }).pipe(Effect.provide(Ordered)))

    it.effect("200 guards in both orders all run, one at a time, and give every permit back", () =>
      Effect.gen(function*() {
        let inside = 0
        let peak = 0
        let done = 0
        const work = Effect.sync(() => peak = Math.max(peak, ++inside)).pipe(
          Effect.andThen(Effect.repeat(Effect.yieldNow, { times: 3 })),
          Effect.ensuring(Effect.sync(() => inside--)),
          Effect.andThen(Effect.sync(() => done++))
        )
        const guards = Array.from({ length: 200 }, (_, i) =>
          work.pipe(i % 2 === 0 ? Limiter.withResources([First, Second]) : Limiter.withResources([Second, First])))
        const all = yield* Effect.forkChild(Effect.all(guards, { concurrency: "unbounded", discard: true }))
        // A bounded number of scheduler turns, not time: deadlocked guards never finish.
        yield* Effect.repeat(Effect.yieldNow, { while: () => done < 200, times: 20_000 })
        yield* Fiber.interrupt(all)
        assert.strictEqual(done, 200, "deadlocked")
        assert.strictEqual(peak, 1)
        assert.deepStrictEqual(yield* usage, { OrderFirst: [0, 0], OrderSecond: [0, 0] })
      }).pipe(Effect.provide(Ordered)))
  })

  it.effect("one deadline covers the whole acquisition", () =>
    Effect.gen(function*() {
      const fs = yield* hold([Fs])
      const db1 = yield* hold([Db])
      const db2 = yield* hold([Db])
      yield* Deferred.await(db2.entered)
      const both = yield* Effect.void.pipe(Limiter.withResources([Db, Fs]), Effect.forkChild)
      yield* TestClock.adjust("1500 millis")
      yield* Deferred.succeed(db1.gate, undefined) // Db comes free at 1.5 s; Fs never does
      yield* settle
      assert.deepStrictEqual(yield* usage, { Db: [2, 0], Fs: [1, 1] })
      yield* TestClock.adjust("500 millis")
      const exit = yield* Fiber.await(both)
      assertBusy(exit, "Fs", Duration.seconds(2))
      assert.deepStrictEqual(yield* usage, { Db: [1, 0], Fs: [1, 0] })
      yield* Fiber.interrupt(fs.fiber)
      yield* Fiber.interrupt(db2.fiber)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a guard's own timeout overrides the limiter's", () =>
    Effect.gen(function*() {
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      const quick = yield* Effect.void.pipe(Limiter.withResources([Fs], { timeout: "100 millis" }), Effect.forkChild)
      yield* settle
      yield* TestClock.adjust("100 millis")
      const exit = yield* Fiber.await(quick)
      assertBusy(exit, "Fs", Duration.millis(100))
      yield* Fiber.interrupt(holder.fiber)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a zero timeout rejects at once when the resource is full, and serves when it is free", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Effect.succeed(1).pipe(Limiter.withResources([Fs], { timeout: 0 })), 1)
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      const exit = yield* Effect.void.pipe(Limiter.withResources([Fs], { timeout: 0 }), Effect.exit)
      assertBusy(exit, "Fs", Duration.zero)
      yield* Fiber.interrupt(holder.fiber)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("an infinite timeout waits as long as it takes", () =>
    Effect.gen(function*() {
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      const patient = yield* Effect.succeed("late").pipe(
        Limiter.withResources([Fs], { timeout: Duration.infinity }),
        Effect.forkChild
      )
      yield* TestClock.adjust("1 day")
      assert.isUndefined(yield* poll(patient))
      yield* Deferred.succeed(holder.gate, undefined)
      assert.strictEqual(yield* Fiber.join(patient), "late")
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("is a pass-through when the limiter is disabled", () =>
    Effect.gen(function*() {
      const results = yield* Effect.all(
        Array.from({ length: 10 }, () => Effect.as(Effect.sleep("1 second"), 1).pipe(Limiter.withResources([Fs]))),
        { concurrency: "unbounded" }
      ).pipe(Effect.forkChild)
      yield* settle
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(results)).length, 10, "all ten ran at once despite capacity 1")
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(Limiter.layer({ timeout: 0, resources: [Db, Fs], enabled: false }))))

  it("rejects a bad guard when it is defined", () => {
    assert.throws(() => Limiter.withResources([Db, Db] as any), /resource "Db" is listed twice/)
    assert.throws(() => Limiter.withResources([Db, Fs, Db] as any), /resource "Db" is listed twice/)
    assert.throws(() => Limiter.withResources([] as any), /non-empty list/)
    assert.throws(() => Limiter.withResources([Db], { timeout: -1 }), /timeout: expected a non-negative duration/)
    assert.throws(() => Limiter.withResources([Db], { timeout: Duration.millis(-1) }), /timeout: expected a non-negative/)
  })

  it.effect("dies with a clear message for a resource the limiter does not list", () =>
    Effect.gen(function*() {
      const Extra = Resource.make("Extra", { capacity: 1 })
      const exit = yield* Effect.void.pipe(
        Limiter.withResources([Extra]),
        Effect.provideServiceEffect(Extra, Db),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.match(String(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)), /"Extra" is not listed/)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("works on any effect, e.g. an outbound call with a layer of its own", () =>
    Effect.gen(function*() {
      const Upstream = Resource.make("Upstream", { capacity: 3 })
      const peak = yield* Ref.make(0)
      const current = yield* Ref.make(0)
      const call = Effect.gen(function*() {
        const now = yield* Ref.updateAndGet(current, (n) => n + 1)
        yield* Ref.update(peak, (p) => Math.max(p, now))
        yield* Effect.sleep("10 millis")
        yield* Ref.update(current, (n) => n - 1)
      }).pipe(Limiter.withResources([Upstream]))
      const all = yield* Effect.all(Array.from({ length: 20 }, () => call), { concurrency: "unbounded" }).pipe(
        Effect.provide(Layer.fresh(Limiter.layer({ timeout: Duration.infinity, resources: [Upstream] }))),
        Effect.forkChild
      )
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(all)
      assert.strictEqual(yield* Ref.get(peak), 3)
    }))

  it.effect("interrupting a guard at any step leaks nothing, contended or not", () =>
    Effect.gen(function*() {
      for (const contended of [false, true]) {
        for (let step = 0; step < 60; step++) {
          const holder = contended ? yield* hold([Fs]) : undefined
          if (holder) yield* Deferred.await(holder.entered)
          const guarded = yield* Effect.yieldNow.pipe(Limiter.withResources([Fs, Db]), Effect.forkChild)
          // Release the holder part-way, so that some steps land on the hand-off itself.
          if (holder) {
            yield* Effect.forkChild(
              Effect.andThen(Effect.repeat(Effect.yieldNow, { times: step % 7 }), Deferred.succeed(holder.gate, undefined))
            )
          }
          yield* Effect.repeat(Effect.yieldNow, { times: step })
          yield* Fiber.interrupt(guarded)
          if (holder) yield* Fiber.interrupt(holder.fiber)
          assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] }, `contended ${contended}, step ${step}`)
        }
      }
    }).pipe(Effect.provide(LimiterLive)))
})

describe("Limiter.acquire", () => {
  it.effect("holds the permits for the life of the scope, and refuses as a guard does", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Limiter.acquire([Fs, Db])
        assert.deepStrictEqual(yield* usage, { Db: [1, 0], Fs: [1, 0] })
        const refused = yield* Effect.exit(Effect.scoped(Limiter.acquire([Fs], { timeout: 0 })))
        assertBusy(refused, "Fs", Duration.zero)
      }))
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
      // A scope that fails releases them too.
      yield* Effect.exit(Effect.scoped(Effect.andThen(Limiter.acquire([Fs]), Effect.fail("boom"))))
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("waits in the queue under the deadline", () =>
    Effect.gen(function*() {
      const holder = yield* hold([Fs])
      yield* Deferred.await(holder.entered)
      const waiting = yield* Effect.forkChild(Effect.scoped(Limiter.acquire([Fs], { timeout: "1 second" })))
      yield* settle
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [1, 1] })
      yield* TestClock.adjust("1 second")
      assertBusy(yield* Fiber.await(waiting), "Fs", Duration.seconds(1))
      yield* Fiber.interrupt(holder.fiber)
      assert.deepStrictEqual(yield* usage, { Db: [0, 0], Fs: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))
})
