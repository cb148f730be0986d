/**
 * The constant limit: Netflix's `FixedLimit`.
 */
import { checkLimit } from "./checks.js"
import { make, type Limit } from "./model.js"
import type { FixedState } from "./options.js"

/** The limit that stays `n` (a positive safe integer, or `InvalidOptionError` is thrown). */
export const fixed = (n: number): Limit<FixedState> => {
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
