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
 * Redis holds no lease and no waiter: every permit was given back.
 *
 * A second test keeps the random workload of 10,000 acquisitions, with the
 * interruptions placed the same way.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, FiberId, Layer, Scope } from "effect"
import * as fc from "effect/FastCheck"
import { Limiter, RedisLimiter, Resource } from "effect-concurrency-limiter"
import { Redis } from "ioredis"
import { afterAll, beforeAll } from "vitest"
import { cleanKeys, client, REDIS_URL, uniquePrefix } from "./utils/redis.js"
import { skippedWithoutRedis } from "./utils/redisTests.js"

/**
 * Called at each Redis reply any client of this process receives: `"before"`
 * as it arrives (before the caller's own handlers run), `"after"` once they
 * have (a macrotask later). The clients are ioredis's; the test's own reads
 * happen only at quiescence.
 */
const onReply = new Set<(when: "before" | "after") => void>()
const sendCommand = Redis.prototype.sendCommand
beforeAll(() => {
  Redis.prototype.sendCommand = function(this: Redis, command: any, stream?: any) {
    const sent = sendCommand.call(this, command, stream)
    const replied = () => {
      for (const hook of [...onReply]) hook("before")
      setImmediate(() => {
        for (const hook of [...onReply]) hook("after")
      })
    }
    command.promise?.then(replied, replied)
    return sent
  }
})
afterAll(() => {
  Redis.prototype.sendCommand = sendCommand
})

/** Where a guard is interrupted. */
type Interruption =
  | { readonly at: "reply"; readonly when: "before" | "after"; readonly n: number }
  | { readonly at: "yields"; readonly n: number }
  | null

interface GuardPlan {
  readonly replica: number
  /** Yields while holding. */
  readonly hold: number
  readonly interruption: Interruption
}

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
  Effect.promise(async () => {
    const redis = client()
    try {
      const [holders, waiters] = await Promise.all([
        redis.zrange(`${prefix}:{Db}:holders`, 0, -1),
        redis.zrange(`${prefix}:{Db}:waiters`, 0, -1)
      ])
      return { holders, waiters }
    } finally {
      redis.disconnect()
    }
  })

/** Interrupts `fiber` as `interruption` says; the returned effect ends once that is set up or done. */
const scheduleInterruption = (fiber: Fiber.RuntimeFiber<unknown, unknown>, interruption: Interruption) =>
  Effect.suspend(() => {
    if (interruption === null) return Effect.void
    if (interruption.at === "yields") {
      return Effect.forkDaemon(Effect.zipRight(Effect.repeatN(Effect.yieldNow(), interruption.n), Fiber.interrupt(fiber)))
    }
    return Effect.sync(() => {
      let replies = 0
      const hook = (when: "before" | "after") => {
        if (when !== interruption.when || ++replies < interruption.n) return
        onReply.delete(hook)
        fiber.unsafeInterruptAsFork(FiberId.none)
      }
      onReply.add(hook)
      fiber.addObserver(() => onReply.delete(hook))
    })
  })

const runScenario = (scenario: { readonly capacity: number; readonly guards: ReadonlyArray<GuardPlan> }) =>
  Effect.gen(function*() {
    const prefix = uniquePrefix("redisprop")
    const Db = Resource.make("Db", { capacity: scenario.capacity })
    const scope = yield* Scope.make()
    const replicas = yield* Effect.forEach(
      [0, 1],
      // Named apart: instances alive at once in one process may not share metric series.
      (i) =>
        Layer.buildWithScope(
          RedisLimiter.layer({ name: `replica-${i}`, resources: [Db], timeout: "10 seconds", prefix, redis: REDIS_URL }),
          scope
        )
    )
    let running = 0
    let max = 0
    const fibers = yield* Effect.forEach(scenario.guards, (plan) =>
      Effect.gen(function*() {
        const guarded = Effect.acquireUseRelease(
          Effect.sync(() => max = Math.max(max, ++running)),
          () => Effect.repeatN(Effect.yieldNow(), plan.hold),
          () => Effect.sync(() => running--)
        ).pipe(Limiter.withResources([Db]), Effect.provide(replicas[plan.replica]))
        const fiber = yield* Effect.fork(guarded)
        yield* scheduleInterruption(fiber, plan.interruption)
        return fiber
      }))
    const exits = yield* Effect.forEach(fibers, Fiber.await)
    // Quiescence: closing an instance answers its queued guards and waits
    // (a PING) for every command it sent; then nothing of it runs.
    yield* Scope.close(scope, Exit.void)
    const left = yield* leftInRedis(prefix)
    yield* Effect.promise(() => cleanKeys(prefix))
    const outcomes = exits.map((exit) => Exit.isSuccess(exit) ? "served" : Exit.isInterrupted(exit) ? "interrupted" : "failed")
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
    fc.assert(fc.asyncProperty(scenarioArb, (scenario) => Effect.runPromise(runScenario(scenario))), { numRuns: 60 }), 120_000)

  it.live("never more holders than the capacity over 10,000 acquisitions with timeouts and interrupts", () =>
    Effect.gen(function*() {
      const seed = Date.now() % 1_000_000
      const next = random(seed)
      const capacity = 4
      const Db = Resource.make("Db", { capacity })
      const prefix = uniquePrefix("property")
      yield* Effect.addFinalizer(() => Effect.promise(() => cleanKeys(prefix)))
      const scope = yield* Scope.make()
      const replicas = yield* Effect.forEach(
        Array.from({ length: 4 }),
        // Named apart: replicas alive at once in one process may not share metric series.
        (_, i) =>
          Layer.buildWithScope(
            RedisLimiter.layer({ name: `replica-${i}`, resources: [Db], timeout: "1 second", prefix, redis: REDIS_URL }),
            scope
          )
      )
      let running = 0
      let max = 0
      const outcomes = { served: 0, busy: 0, interrupted: 0 }
      const guarded = (holdMillis: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running++
            if (running > max) max = running
          }),
          () => holdMillis === 0 ? Effect.yieldNow() : Effect.sleep(Duration.millis(holdMillis)),
          () => Effect.sync(() => running--)
        )
      const one = () => {
        const replica = replicas[Math.floor(next() * replicas.length)]
        const roll = next()
        // The timeouts are part of the workload (some refusals), not a bound checked.
        const timeout = roll < 0.1 ? Duration.zero : Duration.millis(1 + Math.floor(next() * 40))
        const hold = Math.floor(next() * 3)
        const run = guarded(hold).pipe(
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
          const fiber = yield* Effect.fork(run)
          yield* scheduleInterruption(fiber, interruption)
          const exit = yield* Fiber.await(fiber)
          if (exit._tag === "Failure") outcomes.interrupted++
        })
      }
      const total = 10_000
      yield* Effect.forEach(Array.from({ length: total }), one, { concurrency: 48, discard: true })
      assert.isAtMost(max, capacity, `seed ${seed}: ${max} holders at once`)
      assert.strictEqual(max, capacity, `seed ${seed}: the capacity was never used in full`)
      assert.strictEqual(outcomes.served + outcomes.busy + outcomes.interrupted, total)
      // Progress, not speed: the timeouts are 0 to 40 ms of real time, so a
      // loaded machine refuses more (12 % served under one busy core, ~20 %
      // on a quiet one); 1 % served says the guards were not all refused.
      assert.isAbove(outcomes.served, total / 100)
      // Quiescence: the instances closed, every command they sent answered.
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* leftInRedis(prefix), { holders: [], waiters: [] }, `seed ${seed}`)
      console.log(`seed ${seed}: ${JSON.stringify(outcomes)}`)
    }).pipe(Effect.scoped), 60_000)
})
