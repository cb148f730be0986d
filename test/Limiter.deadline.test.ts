/**
 * The guard's deadline lives inside the semaphore's wait (one timer fiber
 * per limiter) rather than in `Effect.timeoutFail`. This checks the two
 * formulations against each other: random workloads run through
 * `Limiter.withResources` and through the reference guard
 * (test/reference-guard.ts: `acquireRelease` per resource under one
 * `timeoutFail`), each on its own TestClock, must end every guard the same
 * way — success, failure, defect, `BusyError` naming the same resource, or
 * interruption — at the same virtual time.
 *
 * Equal-time events have no defined order in either formulation, so the
 * workloads are built without ties between independent events: every start,
 * deadline and interruption falls on a residue (mod 1,000 ms) of its own
 * request, holds are whole seconds, and what an event causes (a release
 * handing a permit on) happens at that event's residue.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Exit, Fiber, TestClock, TestContext } from "effect"
import * as fc from "effect/FastCheck"
import { BusyError, Limiter, Resource, Semaphore } from "effect-concurrency-limiter"
import { referenceGuard } from "./reference-guard.js"

const A = Resource.make("A", { capacity: 1 })
const B = Resource.make("B", { capacity: 2 })
const C = Resource.make("C", { capacity: 1 })
const all = [A, B, C] as const

const request = fc.record({
  resources: fc.shuffledSubarray([0, 1, 2], { minLength: 1 }),
  startSeconds: fc.integer({ min: 0, max: 4 }),
  holdSeconds: fc.integer({ min: 0, max: 5 }),
  timeoutSeconds: fc.integer({ min: 0, max: 4 }),
  ending: fc.constantFrom("succeed", "fail", "die"),
  interruptSeconds: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined })
})
type Request = typeof request extends fc.Arbitrary<infer T> ? T : never

/** Times in ms, each request's events on residues of their own (see the file's comment). */
const timesOf = (r: Request, i: number) => ({
  start: r.startSeconds * 1000 + 10 * i,
  hold: r.holdSeconds * 1000,
  timeout: r.timeoutSeconds * 1000 + 500 + i,
  interruptAt: r.interruptSeconds === undefined ? undefined : r.interruptSeconds * 1000 + 300 + i
})

type Guard = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  resources: ReadonlyArray<number>,
  timeout: number
) => Effect.Effect<A, E | BusyError.BusyError, R | Limiter.Limiter | Resource.Resource.Identifier<"A">>

/** How each guard ended, and when, e.g. "busy(B)@2503". */
const runWorkload = (requests: ReadonlyArray<Request>, guard: Guard) =>
  Effect.gen(function*() {
    const t0 = yield* Clock.currentTimeMillis
    const endings: Array<string> = requests.map(() => "never ended")
    const fibers = yield* Effect.forEach(requests, (r, i) =>
      Effect.gen(function*() {
        const t = timesOf(r, i)
        const body = Effect.sleep(Duration.millis(t.hold)).pipe(
          Effect.zipRight(
            r.ending === "fail" ? Effect.fail("failed" as const) : r.ending === "die" ? Effect.die("died") : Effect.void
          )
        )
        const fiber = yield* Effect.sleep(Duration.millis(t.start)).pipe(
          Effect.zipRight(guard(body, r.resources, t.timeout)),
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              endings[i] = `${describeExit(exit)}@${now - t0}`
            })
          ),
          Effect.onInterrupt(() =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              endings[i] = `interrupted@${now - t0}`
            })
          ),
          Effect.fork
        )
        if (t.interruptAt !== undefined) {
          yield* Effect.fork(Effect.sleep(Duration.millis(t.interruptAt)).pipe(Effect.zipRight(Fiber.interrupt(fiber))))
        }
        return fiber
      }))
    yield* TestClock.adjust("20 seconds")
    yield* Effect.forEach(fibers, Fiber.await, { discard: true })
    return endings
  })

const describeExit = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "success"
  const cause = exit.cause
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  if (Cause.isDie(cause)) return "die"
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some" && failure.value instanceof BusyError.BusyError) return `busy(${failure.value.resource})`
  return failure._tag === "Some" ? `fail(${String(failure.value)})` : Cause.pretty(cause)
}

const throughLimiter: Guard = (self, resources, timeout) =>
  Limiter.withResources(self, resources.map((k) => all[k]) as unknown as readonly [typeof A], { timeout })

const throughReference = (semaphores: ReadonlyArray<Semaphore.Semaphore>): Guard => (self, resources, timeout) =>
  referenceGuard(
    self,
    // Canonical order, as the limiter applies it.
    [...resources].sort().map((k) => ({ name: all[k].name, semaphore: semaphores[k] })),
    Duration.millis(timeout)
  )

describe("the deadline inside the semaphore's wait", () => {
  it.effect.prop(
    "ends every guard as acquireRelease under timeoutFail does, at the same time",
    [fc.array(request, { minLength: 1, maxLength: 16 })],
    ([requests]) =>
      Effect.gen(function*() {
        const limited = yield* runWorkload(requests, throughLimiter).pipe(
          Effect.provide(Limiter.layer({ timeout: "1 second", resources: all })),
          Effect.provide(TestContext.TestContext)
        )
        const semaphores = [Semaphore.unsafeMake(1), Semaphore.unsafeMake(2), Semaphore.unsafeMake(1)]
        const reference = yield* runWorkload(requests, throughReference(semaphores)).pipe(
          Effect.provide(Limiter.layer({ timeout: "1 second", resources: all })),
          Effect.provide(TestContext.TestContext)
        )
        assert.deepStrictEqual(limited, reference)
        assert.deepStrictEqual(semaphores.map((s) => s.unsafeStats().inUse), [0, 0, 0])
      }),
    { fastCheck: { numRuns: 40 } }
  )

  it.effect("a guard whose own timeout is shorter than the one the timer sleeps towards still ends on time", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const run = Effect.gen(function*() {
        const holder = yield* Effect.fork(Effect.never.pipe(Limiter.withResources([Db])))
        yield* Effect.yieldNow()
        const long = yield* Effect.fork(Effect.exit(Effect.void.pipe(Limiter.withResources([Db]))))
        const short = yield* Effect.fork(Effect.exit(Effect.void.pipe(Limiter.withResources([Db], { timeout: "100 millis" }))))
        yield* TestClock.adjust("100 millis")
        const shortExit = yield* Fiber.join(short)
        assert.strictEqual(describeExit(shortExit), "busy(Db)")
        assert.strictEqual((yield* Clock.currentTimeMillis), 100)
        assert.isNull(long.unsafePoll(), "the long wait goes on")
        yield* TestClock.adjust("900 millis")
        assert.strictEqual(describeExit(yield* Fiber.join(long)), "busy(Db)")
        yield* Fiber.interrupt(holder)
        const [stats] = yield* Effect.flatMap(Limiter.Limiter, (l) => l.stats)
        assert.deepStrictEqual([stats.inUse, stats.waiting], [0, 0])
      })
      yield* run.pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })))
    }))
})
