/**
 * The Redis limiter under interruptions at every step. Each scenario (chosen
 * by fast-check) runs a few guards through two RedisLimiter instances that
 * share one capacity; some guards are interrupted at a precise point chosen
 * by the scenario, not after a real-time sleep:
 *
 * - right before, or right after, the Nth Redis reply any instance receives
 *   from the moment the guard starts (the interruption lands in the same
 *   tick as the reply's handling: an acquire answered, a release confirmed,
 *   a renewal), or
 * - after N yields of an interrupter fiber (between the guard's own steps).
 *
 * The guarded effects running at once never exceed the capacity; at
 * quiescence (the instances closed, so every command they sent was answered)
 * Redis holds no lease and no waiter: every permit was given back, none
 * granted twice. A second test runs 3,000 random acquisitions on four
 * instances with timeouts and the interruptions placed the same way.
 */
import { Limiter, RedisLimiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Scope from "effect/Scope"
import * as fc from "fast-check"
import { cleanKeys, uniquePrefix, withClient } from "./utils/redis.js"
import { redisLayer, replicaName } from "./utils/redisLimiter.js"
import { skippedWithoutRedis } from "./utils/redisTests.js"

/**
 * Called at each Redis reply an instance receives: `"before"` as it arrives
 * (before the limiter's own handlers run), `"after"` once they have (a
 * macrotask later).
 */
const onReply = new Set<(when: "before" | "after") => void>()
const replied = () => {
  for (const hook of [...onReply]) hook("before")
  setImmediate(() => {
    for (const hook of [...onReply]) hook("after")
  })
}

/** The `Redis` service of one instance, its replies announced to `onReply`. */
const hookedRedis = Layer.effect(
  Redis.Redis,
  Effect.map(Redis.Redis, (redis): Redis.Redis["Service"] => ({
    ...redis,
    send: (command, ...args) => Effect.onExit(redis.send(command, ...args), () => Effect.sync(replied))
  }))
).pipe(Layer.provide(redisLayer()))

/** Where a guard is interrupted. */
type Interruption =
  | { readonly at: "reply"; readonly when: "before" | "after"; readonly n: number }
  | { readonly at: "yields"; readonly n: number }
  | null

const interruptionArb: fc.Arbitrary<Interruption> = fc.oneof(
  fc.constant(null),
  fc.record({ at: fc.constant("reply" as const), when: fc.constantFrom("before" as const, "after" as const), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ at: fc.constant("yields" as const), n: fc.integer({ min: 0, max: 30 }) })
)

const scenarioArb = fc.record({
  capacity: fc.integer({ min: 1, max: 2 }),
  guards: fc.array(
    fc.record({ replica: fc.integer({ min: 0, max: 1 }), hold: fc.integer({ min: 0, max: 5 }), interruption: interruptionArb }),
    { minLength: 1, maxLength: 6 }
  )
})

/** Redis's holders and waiters of `Db` under `prefix`, read once nothing is in flight. */
const leftInRedis = (prefix: string) =>
  Effect.promise(() =>
    withClient(async (redis) => ({
      holders: await redis.zRange(`${prefix}:{Db}:holders`, 0, -1),
      waiters: await redis.zRange(`${prefix}:{Db}:waiters`, 0, -1)
    }))
  )

/** Interrupts `fiber` as `interruption` says; the returned effect ends once that is set up or done. */
const scheduleInterruption = (fiber: Fiber.Fiber<unknown, unknown>, interruption: Interruption) =>
  Effect.suspend(() => {
    if (interruption === null) return Effect.void
    if (interruption.at === "yields") {
      return Effect.asVoid(Effect.forkDetach(Effect.andThen(Effect.repeat(Effect.yieldNow, { times: interruption.n }), Fiber.interrupt(fiber))))
    }
    return Effect.sync(() => {
      let replies = 0
      const hook = (when: "before" | "after") => {
        if (when !== interruption.when || ++replies < interruption.n) return
        onReply.delete(hook)
        fiber.interruptUnsafe()
      }
      onReply.add(hook)
      fiber.addObserver(() => onReply.delete(hook))
    })
  })

/** `n` instances sharing `Db` under `prefix`, in `scope`. */
const instances = (n: number, options: RedisLimiter.Options<readonly [Resource.Resource<"Db">]>, scope: Scope.Scope) =>
  Effect.forEach(Array.from({ length: n }), () => Layer.buildWithScope(RedisLimiter.layer({ ...options, name: replicaName() }).pipe(Layer.provide(hookedRedis)), scope))

const runScenario = (scenario: { readonly capacity: number; readonly guards: ReadonlyArray<{ readonly replica: number; readonly hold: number; readonly interruption: Interruption }> }) =>
  Effect.gen(function*() {
    const prefix = uniquePrefix("redisprop")
    const Db = Resource.make("Db", { capacity: scenario.capacity })
    const scope = yield* Scope.make()
    const replicas = yield* instances(2, { resources: [Db], timeout: "10 seconds", prefix }, scope)
    let running = 0
    let max = 0
    const fibers = yield* Effect.forEach(scenario.guards, (plan) =>
      Effect.gen(function*() {
        const guarded = Effect.acquireUseRelease(
          Effect.sync(() => max = Math.max(max, ++running)),
          () => Effect.repeat(Effect.yieldNow, { times: plan.hold }),
          () => Effect.sync(() => running--)
        ).pipe(Limiter.withResources([Db]), Effect.provide(replicas[plan.replica]))
        const fiber = yield* Effect.forkDetach(guarded)
        yield* scheduleInterruption(fiber, plan.interruption)
        return fiber
      }))
    const exits = yield* Effect.forEach(fibers, Fiber.await)
    // Quiescence: closing an instance answers its queued guards and waits
    // (a PING) for every command it sent; then nothing of it runs.
    yield* Scope.close(scope, Exit.void)
    const left = yield* leftInRedis(prefix)
    yield* Effect.promise(() => cleanKeys(prefix))
    const outcomes = exits.map((exit) => Exit.isSuccess(exit) ? "served" : Exit.hasInterrupts(exit) ? "interrupted" : "failed")
    assert.isAtMost(max, scenario.capacity, "never more holders than the capacity")
    assert.notInclude(outcomes, "failed", "a guard that is not interrupted is served")
    assert.deepStrictEqual(left, { holders: [], waiters: [] }, "every lease and every queue entry went back to Redis")
  })

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe("RedisLimiter with interruptions at every step", () => {
  if (skippedWithoutRedis()) return

  it("every lease goes back to Redis, whatever step a guard is interrupted at (before or after a reply, between yields)", () =>
    fc.assert(fc.asyncProperty(scenarioArb, (scenario) => Effect.runPromise(runScenario(scenario))), { numRuns: 40 }), 120_000)

  it.live("never more holders than the capacity over 3,000 acquisitions with timeouts and interrupts", () =>
    Effect.gen(function*() {
      const seed = Date.now() % 1_000_000
      const next = random(seed)
      const capacity = 4
      const Db = Resource.make("Db", { capacity })
      const prefix = uniquePrefix("property")
      yield* Effect.addFinalizer(() => Effect.promise(() => cleanKeys(prefix)))
      const scope = yield* Scope.make()
      const replicas = yield* instances(4, { resources: [Db], timeout: "1 second", prefix }, scope)
      let running = 0
      let max = 0
      const outcomes = { served: 0, busy: 0, interrupted: 0 }
      const guarded = (holdMillis: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => max = Math.max(max, ++running)),
          () => holdMillis === 0 ? Effect.yieldNow : Effect.sleep(Duration.millis(holdMillis)),
          () => Effect.sync(() => running--)
        )
      const one = () => {
        const replica = replicas[Math.floor(next() * replicas.length)]
        const roll = next()
        // The timeouts are part of the workload (some refusals), not a bound checked.
        const timeout = roll < 0.1 ? Duration.zero : Duration.millis(5 + Math.floor(next() * 100))
        const run = guarded(Math.floor(next() * 3)).pipe(
          Limiter.withResources([Db], { timeout }),
          Effect.provide(replica),
          Effect.matchEffect({
            onFailure: () => Effect.sync(() => outcomes.busy++),
            onSuccess: () => Effect.sync(() => outcomes.served++)
          })
        )
        if (roll < 0.8) return run
        // Interrupted at a step chosen by the seed: while it waits, or while it holds.
        const interruption: Interruption = next() < 0.5
          ? { at: "reply", when: next() < 0.5 ? "before" : "after", n: 1 + Math.floor(next() * 6) }
          : { at: "yields", n: Math.floor(next() * 20) }
        return Effect.gen(function*() {
          const fiber = yield* Effect.forkDetach(run)
          yield* scheduleInterruption(fiber, interruption)
          if (Exit.isFailure(yield* Fiber.await(fiber))) outcomes.interrupted++
        })
      }
      const total = 3_000
      yield* Effect.forEach(Array.from({ length: total }), one, { concurrency: 48, discard: true })
      assert.isAtMost(max, capacity, `seed ${seed}: ${max} holders at once`)
      assert.strictEqual(max, capacity, `seed ${seed}: the capacity was never used in full`)
      assert.strictEqual(outcomes.served + outcomes.busy + outcomes.interrupted, total)
      // Progress, not speed: 1 % served says the guards were not all refused.
      assert.isAbove(outcomes.served, total / 100)
      // Quiescence: the instances closed, every command they sent answered.
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* leftInRedis(prefix), { holders: [], waiters: [] }, `seed ${seed}`)
    }).pipe(Effect.scoped), 60_000)
})
