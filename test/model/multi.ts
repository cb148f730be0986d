/**
 * Guards over several resources under random workloads, against a counting
 * model: random resource subsets in random orders (the guard takes them in
 * the limiter's canonical order, so no two guards deadlock), hold times,
 * one deadline per guard, failures, defects and interruptions at random
 * moments, on the virtual clock. Every resource is held by at most its capacity
 * of running effects; a guard that times out does so exactly at its
 * deadline and names one of its resources; every guard ends as it should;
 * at quiescence nothing is held, in use or waiting. Used by
 * test/Limiter.property.test.ts and by `npm run stress:model`.
 */
import { Cause, Clock, Duration, Effect, Exit, Fiber } from "effect"
import * as fc from "effect/FastCheck"
import { BusyError, Limiter, Resource } from "effect-concurrency-limiter"
import { type Counter, expectEqual, uncounted } from "./check.js"
import { modelRuntime } from "./runtime.js"

const A = Resource.make("A", { capacity: 1 })
const B = Resource.make("B", { capacity: 2 })
const C = Resource.make("C", { capacity: 3 })
const all = [A, B, C] as const
const capacities: Record<string, number> = { A: 1, B: 2, C: 3 }

export const request = fc.record({
  resources: fc.shuffledSubarray([0, 1, 2], { minLength: 1 }),
  start: fc.integer({ min: 0, max: 40 }),
  hold: fc.integer({ min: 0, max: 60 }),
  timeout: fc.integer({ min: 0, max: 50 }),
  ending: fc.constantFrom("succeed", "fail", "die"),
  interruptAt: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined })
})

export type Request = typeof request extends fc.Arbitrary<infer T> ? T : never

/** A whole scenario: the requests. */
export const scenario = (maxLength = 25, size: fc.SizeForArbitrary = "small") =>
  fc.array(request, { maxLength, size })

/**
 * Runs `requests` through one limiter of resources A (1), B (2) and C (3);
 * fails with a `ModelMismatch` (a defect) listing every violation. Runs on a
 * `ManualClock` of its own.
 */
export const runScenario = (requests: ReadonlyArray<Request>, counter: Counter = uncounted()) =>
  modelRuntime((clock) => Effect.gen(function*() {
    const held: Record<string, number> = { A: 0, B: 0, C: 0 }
    const violations: Array<string> = []

    const run = (r: Request, i: number) =>
      Effect.gen(function*() {
        yield* Effect.sleep(Duration.millis(r.start))
        const startedAt = yield* Clock.currentTimeMillis
        const names = r.resources.map((k) => all[k].name)
        const body = Effect.gen(function*() {
          const enteredAt = yield* Clock.currentTimeMillis
          if (enteredAt - startedAt > r.timeout) violations.push(`#${i} entered after its deadline`)
          for (const name of names) {
            held[name]++
            if (held[name] > capacities[name]) violations.push(`#${i}: ${name} held ${held[name]} > ${capacities[name]}`)
          }
          yield* Effect.sleep(Duration.millis(r.hold)).pipe(
            Effect.ensuring(Effect.sync(() => names.forEach((name) => held[name]--)))
          )
          if (r.ending === "fail") return yield* Effect.fail("failed" as const)
          if (r.ending === "die") return yield* Effect.die("died")
          return "done" as const
        })
        const resources = r.resources.map((k) => all[k]) as unknown as readonly [Resource.Resource<"A">]
        const exit = yield* body.pipe(Limiter.withResources(resources, { timeout: r.timeout }), Effect.exit)
        if (Exit.isFailure(exit)) {
          const error = Cause.failureOption(exit.cause)
          if (error._tag === "Some" && error.value instanceof BusyError.BusyError) {
            const waited = (yield* Clock.currentTimeMillis) - startedAt
            if (waited !== r.timeout) violations.push(`#${i}: BusyError after ${waited} ms, timeout ${r.timeout} ms`)
            if (!(names as Array<string>).includes(error.value.resource)) {
              violations.push(`#${i}: BusyError names ${error.value.resource}`)
            }
          }
        }
        return exit
      })

    const fibers = yield* Effect.forEach(requests, (r, i) =>
      Effect.gen(function*() {
        counter.ops++
        const fiber = yield* Effect.fork(run(r, i))
        if (r.interruptAt !== undefined) {
          yield* Effect.fork(Effect.sleep(Duration.millis(r.interruptAt)).pipe(Effect.zipRight(Fiber.interrupt(fiber))))
        }
        return fiber
      }))

    // The clock wakes every sleeper in time order, so every start, deadline,
    // release and interruption happens at its own moment.
    yield* clock.adjust(250)

    const exits = yield* Effect.forEach(fibers, Fiber.await)
    exits.forEach((exit, i) => {
      const r = requests[i]
      if (Exit.isSuccess(exit)) {
        if (exit.value._tag === "Success") {
          if (r.ending !== "succeed") violations.push(`#${i} succeeded but should have ended with ${r.ending}`)
          return
        }
        const cause = exit.value.cause
        const expected = Cause.isDie(cause)
          ? r.ending === "die" && [...Cause.defects(cause)].every((d) => d === "died")
          : Cause.failureOption(cause).pipe((o) =>
            o._tag === "Some" && (o.value === "failed" ? r.ending === "fail" : o.value instanceof BusyError.BusyError)
          )
        if (!expected && !Cause.isInterruptedOnly(cause)) violations.push(`#${i} ended with ${Cause.pretty(cause)}`)
        if (Cause.isInterruptedOnly(cause) && r.interruptAt === undefined) violations.push(`#${i} interrupted`)
      } else if (r.interruptAt === undefined) {
        violations.push(`#${i} was interrupted without being asked to`)
      }
    })

    const limiter = yield* Limiter.Limiter
    const quiescent = yield* limiter.stats
    expectEqual(violations, [], "violations")
    expectEqual(held, { A: 0, B: 0, C: 0 }, "held at quiescence")
    expectEqual(
      quiescent.map((s) => [s.resource, s.inUse, s.waiting]),
      [["A", 0, 0], ["B", 0, 0], ["C", 0, 0]],
      "no permit leaked, no waiter left behind"
    )
  }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: all }))))
