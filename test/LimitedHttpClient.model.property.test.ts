/**
 * Direct guards, scoped acquisitions and `LimitedHttpClient` calls sharing
 * one adaptive resource under random workloads (test/model/outbound.ts):
 * interrupted queued, holding, in flight or reading; bodies read or never
 * read. No grant above the capacity of the moment, no release counted
 * twice, nothing in use or waiting at quiescence. On a virtual clock.
 */
import { describe, it } from "@effect/vitest"
import { assertModel } from "./model/check.js"
import { runScenario, scenario } from "./model/outbound.js"

describe("guards, scoped acquisitions and client calls on one adaptive resource", () => {
  it("grant only below the capacity of the moment, release once, leak nothing", () =>
    assertModel(scenario(), (calls) => runScenario(calls), 100), 60_000)
})
