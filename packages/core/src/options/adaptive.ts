/**
 * The refusals of an adaptive resource's capacity (one that follows a
 * `Limit`): a limit that cannot say where it starts, and a capacity set by
 * hand on a resource whose capacity its limit sets.
 */
import type { Invalid } from "./invalid.js"
import { renderValue } from "./render.js"

/** The limit `Limit.<name>` threw `error` when asked its initial limit. */
export const initialLimitThrew = (
  field: string,
  limitName: string,
  error: unknown,
  render: (value: unknown) => string = renderValue
): Invalid => ({
  field,
  value: `Limit.${limitName}`,
  expected: `a Limit whose limitOf(initial) answers a positive integer (it threw: ${render(error instanceof Error ? error.message : error)})`
})

/** A capacity set while serving, on a resource whose capacity follows `Limit.<name>`. */
export const capacityFollowsLimit = (field: string, limitName: string): Invalid => ({
  field,
  value: `Limit.${limitName}`,
  expected: "a resource whose capacity is a number or a Config: this one's follows its Limit"
})
