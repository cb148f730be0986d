/**
 * Random workloads of guards against a counting model, on Effect 4's
 * TestClock: random resource subsets in random orders (the guard takes them
 * in the limiter's canonical order, so no two guards deadlock), start
 * times, hold times, one deadline per guard, failures, defects and
 * interruptions at random moments. The model: every resource is held by at
 * most its capacity of running effects; a guard enters before its deadline
 * or fails with a `BusyError` exactly at it, naming one of its resources; a
 * guard ends as its effect ends (or interrupted, only when asked); at
 * quiescence nothing is held, in use or waiting. A permit released twice
 * would be a defect (the core refuses it), which the model does not allow.
 */
import { BusyError, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import { isDeepStrictEqual } from "node:util"
import { stats } from "./utils/limiter.js"

const A = Resource.make("A", { capacity: 1 })
const B = Resource.make("B", { capacity: 2 })
const C = Resource.make("C", { capacity: 3, order: "lifo" })
const all = [A, B, C] as const
const capacities: Record<string, number> = { A: 1, B: 2, C: 3 }

const request: fc.Arbitrary<Request> = fc.record({
  resources: fc.shuffledSubarray([0, 1, 2], { minLength: 1 }),
  start: fc.integer({ min: 0, max: 40 }),
  hold: fc.integer({ min: 0, max: 60 }),
  timeout: fc.integer({ min: 0, max: 50 }),
  ending: fc.constantFrom("succeed", "fail", "die"),
  interruptAt: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined })
})

interface Request {
  readonly resources: ReadonlyArray<number>
  readonly start: number
  readonly hold: number
  readonly timeout: number
  readonly ending: "succeed" | "fail" | "die"
  readonly interruptAt: number | undefined
}

const render = (value: unknown) => JSON.stringify(value)

/**
 * Runs `requests` through one limiter of A (1), B (2) and C (3, LIFO), after
 * `before` (which the check of the check uses to break it); answers the
 * model's violations.
 */
const runScenario = (
  requests: ReadonlyArray<Request>,
  before: Effect.Effect<void, never, Limiter.Limiter | Resource.Resource.Identifiers<typeof all>> = Effect.void
): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    yield* before
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
          const error = Cause.squash(exit.cause)
          if (error instanceof BusyError.BusyError) {
            const waited = (yield* Clock.currentTimeMillis) - startedAt
            if (waited !== r.timeout) violations.push(`#${i}: BusyError after ${waited} ms, timeout ${r.timeout} ms`)
            if (!(names as Array<string>).includes(error.resource)) {
              violations.push(`#${i}: BusyError names ${error.resource}`)
            }
          }
        }
        return exit
      })

    const fibers = yield* Effect.forEach(requests, (r, i) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(run(r, i))
        if (r.interruptAt !== undefined) {
          yield* Effect.forkChild(Effect.andThen(Effect.sleep(Duration.millis(r.interruptAt)), Fiber.interrupt(fiber)))
        }
        return fiber
      }))

    // The TestClock wakes every sleeper in time order, each settled before
    // the next, so every start, deadline, release and interruption happens
    // at its own moment.
    yield* TestClock.adjust(250)

    const exits = yield* Effect.forEach(fibers, Fiber.await)
    exits.forEach((exit, i) => {
      const r = requests[i]
      if (Exit.isFailure(exit)) {
        if (r.interruptAt === undefined) violations.push(`#${i} was interrupted without being asked to`)
        return
      }
      const inner = exit.value
      if (Exit.isSuccess(inner)) {
        if (r.ending !== "succeed") violations.push(`#${i} succeeded but should have ended with ${r.ending}`)
        return
      }
      const cause = inner.cause
      if (Cause.hasInterruptsOnly(cause)) {
        if (r.interruptAt === undefined) violations.push(`#${i} interrupted`)
        return
      }
      const defects = cause.reasons.filter(Cause.isDieReason).map((reason) => reason.defect)
      const errors = cause.reasons.filter(Cause.isFailReason).map((reason) => reason.error)
      const expected = defects.length > 0
        ? r.ending === "die" && errors.length === 0 && defects.every((d) => d === "died")
        : errors.length === 1 && (errors[0] === "failed" ? r.ending === "fail" : errors[0] instanceof BusyError.BusyError)
      if (!expected) violations.push(`#${i} ended with ${Cause.pretty(cause)}`)
    })

    if (!isDeepStrictEqual(held, { A: 0, B: 0, C: 0 })) violations.push(`held at quiescence: ${render(held)}`)
    const quiescent = (yield* stats).map((s) => [s.resource, s.inUse, s.waiting])
    if (!isDeepStrictEqual(quiescent, [["A", 0, 0], ["B", 0, 0], ["C", 0, 0]])) {
      violations.push(`permits leaked or waiters left behind: ${render(quiescent)}`)
    }
    return violations
  }).pipe(
    Effect.provide(Limiter.layer({ timeout: "1 second", resources: all })),
    Effect.orDie,
    Effect.provide(TestClock.layer())
  )

describe("Limiter.withResources under random workloads", () => {
  it("never exceeds capacity, times out on time, releases everything", () =>
    fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 25, size: "medium" }), async (requests) => {
        const violations = await Effect.runPromise(runScenario(requests))
        if (violations.length > 0) throw new Error(violations.join("\n"))
      }),
      { numRuns: 200 }
    ), 120_000)

  it("the model sees a leaked permit, and more holders than the capacity", async () => {
    // A check of the check: a permit of B taken behind the limiter's back.
    const leaked = await Effect.runPromise(
      runScenario([], Effect.asVoid(Effect.flatMap(B, (semaphore) => semaphore.take(1))))
    )
    if (!leaked.some((violation) => violation.startsWith("permits leaked"))) throw new Error("leak not seen")
    // A resource that admits more than its capacity: A grown behind the model's back.
    const twice: Request = { resources: [0], start: 0, hold: 10, timeout: 10, ending: "succeed", interruptAt: undefined }
    const crowded = await Effect.runPromise(
      runScenario([twice, twice], Effect.flatMap(A, (semaphore) => semaphore.resize(2)))
    )
    if (!crowded.some((violation) => violation.includes("A held 2 > 1"))) throw new Error(`not seen: ${crowded.join("; ")}`)
  })
})
