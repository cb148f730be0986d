/**
 * Random workloads of guards against a counting model (test/model/multi.ts,
 * shared with `npm run stress:model`): random resource subsets in random
 * orders, hold times, timeouts, failures, defects and interruptions at
 * random moments, all on the TestClock.
 */
import { describe, it } from "@effect/vitest"
import { runScenario, scenario } from "./model/multi.js"

describe("Limiter.withResources under random workloads", () => {
  it.effect.prop(
    "never exceeds capacity, times out on time, releases everything",
    [scenario()],
    ([requests]) => runScenario(requests),
    { fastCheck: { numRuns: 100 } }
  )
})
