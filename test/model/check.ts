/**
 * What the models share: checks that throw a `ModelMismatch` naming the
 * step they failed at (no vitest `assert`, so that the models run both under
 * vitest and in `npm run stress:model`), the count of operations a driver
 * executed, which the stress runner reports, and the property check the
 * tests use.
 */
import { Effect } from "effect"
import * as fc from "effect/FastCheck"
import { isDeepStrictEqual } from "node:util"

/** Commands executed by the drivers, across runs. */
export interface Counter {
  ops: number
}

/** A counter for callers that do not count. */
export const uncounted = (): Counter => ({ ops: 0 })

const render = (value: unknown): string =>
  JSON.stringify(value, (_, v) => v instanceof Map ? [...v] : v === Infinity ? "Infinity" : v)

/** Thrown when the real thing and its model disagree. */
export class ModelMismatch extends Error {
  override readonly name = "ModelMismatch"
}

/** Deep strict equality, or a `ModelMismatch` naming `what` with both sides. */
export const expectEqual = <A>(actual: A, expected: A, what: string): void => {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new ModelMismatch(`${what}\n  expected: ${render(expected)}\n  actual:   ${render(actual)}`)
  }
}

/** Fails with `what` unless `condition` holds. */
export const expectTrue = (condition: boolean, what: string): void => {
  if (!condition) throw new ModelMismatch(what)
}

/**
 * Checks a model's property for `numRuns` random scenarios, each driver run
 * with `Effect.runPromise`: the models bring their own clock, so the
 * TestContext that `it.effect.prop` builds for every run would be wasted
 * (it cost more than the runs themselves). A failure reports fast-check's
 * seed and path, which replay it (`fc.assert(…, { seed, path })`).
 */
export const assertModel = <A>(
  scenarios: fc.Arbitrary<A>,
  run: (scenario: A) => Effect.Effect<void, unknown>,
  numRuns: number
): Promise<void> => fc.assert(fc.asyncProperty(scenarios, (scenario) => Effect.runPromise(run(scenario))), { numRuns })
