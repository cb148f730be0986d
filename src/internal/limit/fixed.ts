/**
 * The constant limit: Netflix's `FixedLimit`.
 *
 * @internal
 */
import type * as Limit from "../../Limit.js"
import { checkLimit, make } from "./core.js"

/** @internal */
export const fixed = (n: number): Limit.Limit<Limit.FixedState> => {
  const limit = checkLimit("Limit.fixed.limit", n)
  return make({
    name: "fixed",
    min: limit,
    max: limit,
    initial: { limit },
    // Samples change nothing; returning the same state is allowed (it is not mutated).
    update: (state) => state,
    limitOf: (state) => state.limit
  })
}
