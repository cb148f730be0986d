/**
 * The default of an absent option.
 */

/**
 * An option's value, or its default when absent. Only `undefined` is absent:
 * a `null` (from JSON, say) is a value like any other and is checked, not
 * quietly replaced (`??` would make a `maxWaiting: null` unbounded).
 */
export const orDefault = <A, B>(value: A | undefined, fallback: B): A | B => value === undefined ? fallback : value
