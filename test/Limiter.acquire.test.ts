/**
 * `Limiter.acquire`, the scoped form of a guard: permits taken as
 * `withResources` takes them, held until the scope closes, released with
 * the ending the scope's exit says — and nothing leaked or released twice
 * whatever step an interruption lands on.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, FiberId, Layer, RuntimeFlags, RuntimeFlagsPatch, Scope, Supervisor, TestClock } from "effect"
import { BusyError, Limit, Limiter, Resource } from "effect-concurrency-limiter"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

const A = Resource.make("AcqA", { capacity: 1 })
const B = Resource.make("AcqB", { capacity: 1 })
const LimiterLive = Limiter.layer({ timeout: "1 hour", resources: [A, B] })

/** `[inUse, waiting]` of every resource. */
const usage = Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats).pipe(
  Effect.map((all) => Object.fromEntries(all.map((s) => [s.resource, [s.inUse, s.waiting]])))
)
const idle = { AcqA: [0, 0], AcqB: [0, 0] }

const capacityOf = (name: string) =>
  Effect.flatMap(Limiter.Limiter, (l) => Effect.map(l.stats, (all) => all.find((s) => s.resource === name)!.capacity))

describe("Limiter.acquire", () => {
  it.effect("holds one permit of each resource until the scope closes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* Limiter.acquire([B, A]).pipe(Scope.extend(scope))
      assert.deepStrictEqual(yield* usage, { AcqA: [1, 0], AcqB: [1, 0] })
      // The next one queues behind it, in canonical order (on A first).
      const next = yield* Effect.fork(Effect.scoped(Limiter.acquire([A, B])))
      yield* settle
      assert.deepStrictEqual(yield* usage, { AcqA: [1, 1], AcqB: [1, 0] })
      yield* Scope.close(scope, Exit.void)
      yield* Fiber.join(next)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("fails with BusyError at the deadline, holding nothing", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Limiter.withResources(Deferred.await(gate), [B]))
      yield* settle
      const waiter = yield* Effect.fork(Effect.scoped(Effect.flip(Limiter.acquire([A, B], { timeout: "1 second" }))))
      yield* settle
      assert.deepStrictEqual(yield* usage, { AcqA: [1, 0], AcqB: [1, 1] }, "A taken, waiting for B")
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(waiter)
      assert.instanceOf(error, BusyError.BusyError)
      assert.strictEqual(error.resource, "AcqB")
      assert.strictEqual(error.reason, "timeout")
      assert.deepStrictEqual(yield* usage, { AcqA: [0, 0], AcqB: [1, 0] }, "A given back")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("checks its options when called, as withResources does", () =>
    Effect.sync(() => {
      // @ts-expect-error a resource listed twice does not compile
      assert.throws(() => Limiter.acquire([A, A]), /Limiter.acquire: resource "AcqA" is listed twice/)
      // @ts-expect-error no partition on unpartitioned resources
      assert.throws(() => Limiter.acquire([A], { partition: "x" }), /Limiter.acquire: partition "x" given/)
      assert.throws(() => Limiter.acquire([A], { timeout: -1 }), /Limiter.acquire: /)
      const P = Resource.make("AcqP", { capacity: 2, partitions: { web: 0.5, batch: 0.5 } })
      // @ts-expect-error a partitioned resource needs one of its partitions
      assert.throws(() => Limiter.acquire([P]), /Limiter.acquire: resource "AcqP" is partitioned/)
      // @ts-expect-error and one it has
      assert.throws(() => Limiter.acquire([P], { partition: "bulk" }), /Limiter.acquire: resource "AcqP" is partitioned/)
      Limiter.acquire([P], { partition: "batch" })
    }))

  it.effect("a disabled limiter takes nothing", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.zipRight(Limiter.acquire([A]), Effect.flatMap(usage, (u) => Effect.sync(() => assert.deepStrictEqual(u, idle)))))
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [A, B], enabled: false }))))
})

describe("Limiter.acquire teaches an adaptive Limit the scope's real ending", () => {
  const endings = [
    ["success", Exit.void, 2],
    ["failure", Exit.fail("boom"), 1],
    ["a defect", Exit.die("bug"), 1],
    ["interruption", Exit.interrupt(FiberId.none), 1]
  ] as const
  for (const [what, exit, expected] of endings) {
    it.effect(`${what}: AIMD from 1 goes to ${expected}`, () => {
      const Db = Resource.make("AcqAdaptive", { capacity: Limit.aimd({ initial: 1, min: 1, max: 10, backoffRatio: 0.5 }) })
      return Effect.gen(function*() {
        const scope = yield* Scope.make()
        yield* Limiter.acquire([Db]).pipe(Scope.extend(scope))
        yield* Scope.close(scope, exit)
        assert.strictEqual(yield* capacityOf("AcqAdaptive"), expected)
        const stats = (yield* (yield* Limiter.Limiter).stats)[0]
        assert.strictEqual(stats.inUse, 0)
      }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
    })
  }

  it.effect("a failure after growth backs off, as through a guard", () => {
    const Db = Resource.make("AcqAdaptive2", { capacity: Limit.aimd({ initial: 1, min: 1, max: 10, backoffRatio: 0.5 }) })
    return Effect.gen(function*() {
      yield* Effect.scoped(Limiter.acquire([Db]))
      assert.strictEqual(yield* capacityOf("AcqAdaptive2"), 2)
      yield* Effect.exit(Effect.scoped(Effect.zipRight(Limiter.acquire([Db]), Effect.fail("boom"))))
      assert.strictEqual(yield* capacityOf("AcqAdaptive2"), 1)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
  })
})

/** Counts ops of the supervised fibers and interrupts the root at op number `at`. */
class InterruptAt extends Supervisor.AbstractSupervisor<void> {
  count = 0
  target: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  readonly value = Effect.void
  constructor(readonly at: number) {
    super()
  }
  override onEffect<A, E>(_fiber: Fiber.RuntimeFiber<A, E>, _effect: Effect.Effect<unknown, unknown, unknown>): void {
    if (this.count++ === this.at) this.target?.unsafeInterruptAsFork(FiberId.none)
  }
}

/**
 * One run: `Effect.scoped(acquire([A, B]) then two yields)`, interrupted at
 * op `at`; when `queued`, a guard holds B until the acquisition is parked.
 */
const runOnce = (queued: boolean, at: number) =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const holder = queued ? yield* Effect.fork(Limiter.withResources(Deferred.await(gate), [B])) : undefined
    yield* settle
    const supervisor = new InterruptAt(at)
    const fiber = yield* Effect.fork(
      Effect.scoped(Effect.zipRight(Limiter.acquire([A, B]), Effect.zipRight(Effect.yieldNow(), Effect.yieldNow()))).pipe(
        Effect.supervised(supervisor),
        Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision))
      )
    )
    supervisor.target = fiber
    yield* settle
    yield* Deferred.succeed(gate, undefined)
    if (holder !== undefined) yield* Fiber.join(holder)
    yield* settle
    const exit = yield* Fiber.await(fiber)
    const label = `interrupt at op ${at}${queued ? " (queued)" : ""}`
    if (Exit.isFailure(exit)) assert.isTrue(Cause.isInterruptedOnly(exit.cause), `${label}: ${Cause.pretty(exit.cause)}`)
    assert.deepStrictEqual(yield* usage, idle, label)
    return supervisor.count
  })

describe("Limiter.acquire interrupted at every step", () => {
  for (const queued of [false, true]) {
    it.effect(`${queued ? "queued" : "uncontended"}: permits balance whatever the step`, () =>
      Effect.gen(function*() {
        const total = yield* runOnce(queued, -1)
        assert.isAbove(total, 5)
        for (let at = 0; at <= total; at++) yield* runOnce(queued, at)
      }).pipe(Effect.provide(LimiterLive)))
  }

  for (const order of ["interrupt, then grant", "grant, then interrupt"] as const) {
    it.effect(`${order} in the same tick hands the permit on`, () =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(Limiter.withResources(Deferred.await(gate), [A]))
        yield* settle
        const victim = yield* Effect.fork(Effect.scoped(Effect.zipRight(Limiter.acquire([A]), Effect.never)))
        const next = yield* Effect.fork(Effect.scoped(Limiter.acquire([A])))
        yield* settle
        assert.deepStrictEqual(yield* usage, { AcqA: [1, 2], AcqB: [0, 0] })
        yield* Effect.suspend(() => {
          if (order === "interrupt, then grant") {
            victim.unsafeInterruptAsFork(FiberId.none)
            return Deferred.succeed(gate, undefined)
          }
          return Effect.tap(Deferred.succeed(gate, undefined), () => victim.unsafeInterruptAsFork(FiberId.none))
        })
        yield* Fiber.join(holder)
        assert.isTrue(Exit.isInterrupted(yield* Fiber.await(victim)))
        assert.isTrue(Exit.isSuccess(yield* Fiber.await(next)))
        assert.deepStrictEqual(yield* usage, idle)
      }).pipe(Effect.provide(LimiterLive)))
  }

  it.effect("a scope closed before the grant gives the permits straight back", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* Scope.close(scope, Exit.void)
      yield* Limiter.acquire([A]).pipe(Scope.extend(scope))
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(Layer.fresh(LimiterLive))))
})
