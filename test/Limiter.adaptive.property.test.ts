/**
 * An adaptive resource under random workloads (test/model/adaptive.ts,
 * shared with `npm run stress:model`): whatever the algorithm does with the
 * samples, a permit is only granted below the capacity of that moment, the
 * capacity is always the algorithm's limit within [min, max], and at
 * quiescence nothing is in use, waiting or leaked. On a virtual clock.
 */
import { describe, it } from "@effect/vitest"
import { runScenario, scenario } from "./model/adaptive.js"
import { assertModel } from "./model/check.js"

describe("an adaptive resource under random workloads", () => {
  it("grants only below the capacity of the moment, keeps the limit in bounds, leaks nothing", () =>
    assertModel(scenario(), ([algorithm, calls]) => runScenario(algorithm, calls), 120), 60_000)
})
