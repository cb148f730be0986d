/**
 * Model-based property test of one resource's queue, as seen through the
 * public API: a bounded queue (`maxWaiting`), FIFO or LIFO order, partitions
 * with guaranteed shares, live resizes, deadlines, guarded effects that
 * succeed, fail or die, and interruptions (queued, holding, or racing the
 * admission). The model and its driver are in test/model/guard.ts (shared
 * with `npm run stress:model`, which drives them for a million operations):
 * after every command the real limiter and the model must agree on the
 * exact order of grants, on how and when every guard ended, on
 * `limiter.stats`, on the metric gauges and on the effects running; at
 * quiescence nothing may be in use or waiting, no fiber may have died of
 * anything but its own defect, and the `acquisitions` counter must count
 * exactly the model's outcomes.
 *
 * The model rounds partition guarantees in exact integer arithmetic, apart
 * from src: that is how it found src breaking remainder ties by float error
 * (2 × 0.7 losing a tie to 2 × 0.2); the last test pins that case.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Limiter, Resource } from "effect-concurrency-limiter"
import { assertModel } from "./model/check.js"
import { guaranteesOf, runScenario, scenario } from "./model/guard.js"

let runs = 0

describe("Limiter queue against a model", () => {
  it("grant order, endings, stats and metrics agree with the model at every step", () =>
    assertModel(scenario(), ([cfg, commands]) => runScenario(cfg, commands), 200), 60_000)

  it("the model's rounding: integer largest remainder", () => {
    // Weights 4/1 of 7 permits: 5.6 and 1.4 → 5 and 1, the spare to the larger remainder.
    assert.deepStrictEqual(guaranteesOf(7, [4, 1], 0), [6, 1])
    // With slack, only floor(capacity × Σshares) is handed out.
    assert.deepStrictEqual(guaranteesOf(3, [1, 1], 1), [1, 1])
    // A tie goes to the partition declared first.
    assert.deepStrictEqual(guaranteesOf(1, [1, 1], 0), [1, 0])
  })

  /**
   * The property above finds this in about a third of its seeds; pinned here
   * so that it fails every time until fixed. Shares 0.7 / 0.2 / 0.1 of 2
   * permits are 1.4 / 0.4 / 0.2: the floors give 1 / 0 / 0 and the spare
   * permit is a tie between remainders 0.4 and 0.4, which the documented rule
   * gives to the partition declared first. In floats 2 × 0.7 = 1.4 leaves a
   * remainder of 0.3999999999999999 < 0.4, so packages/core/src/shares.ts gives
   * the permit to "batch" instead.
   */
  it.effect("guarantees break remainder ties by declaration order, despite float error", () =>
    Effect.gen(function*() {
      const guaranteesFor = (capacity: number, partitions: Record<string, number>) => {
        const R = Resource.make(`QueueTies${runs++}`, { capacity, partitions })
        return Effect.map(
          Limiter.Limiter.pipe(Effect.flatMap((limiter) => limiter.stats)),
          ([stats]) => stats.partitions!.map((p) => p.guaranteed)
        ).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [R], metrics: false })))
      }
      // The documentation's own example, which has no tie.
      assert.deepStrictEqual(yield* guaranteesFor(7, { interactive: 0.8, batch: 0.2 }), [6, 1])
      assert.deepStrictEqual(yield* guaranteesFor(2, { interactive: 0.7, batch: 0.2, admin: 0.1 }), [2, 0, 0])
      // From the property's domain: weights 4 / 1 with slack 1 (shares 4/6, 1/6) of 4 permits.
      assert.deepStrictEqual(yield* guaranteesFor(4, { a: 4 / 6, b: 1 / 6 }), [3, 0])
    }))
})
