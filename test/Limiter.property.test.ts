/**
 * Random workloads of guards against a counting model (test/model/multi.ts,
 * shared with `npm run stress:model`): random resource subsets in random
 * orders, hold times, timeouts, failures, defects and interruptions at
 * random moments, all on a virtual clock.
 */
import { describe, it } from "@effect/vitest"
import { assertModel } from "./model/check.js"
import { runScenario, scenario } from "./model/multi.js"

describe("Limiter.withResources under random workloads", () => {
  it("never exceeds capacity, times out on time, releases everything", () =>
    assertModel(scenario(), (requests) => runScenario(requests), 100), 60_000)
})
