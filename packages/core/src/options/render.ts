/**
 * How an option's bad value is shown in an error: exactly as it was given,
 * so that the message points at the typo. Each Effect line adds its own
 * rendering of the values only it knows (a `Duration`), through
 * `renderValueWith`.
 */

/**
 * A renderer that knows how to show some objects itself (answering
 * `undefined` for the others), the rest rendered as `renderValue` does:
 * strings quoted, bigints with their `n`, plain objects and arrays by their
 * entries, a circular reference as `[Circular]`.
 */
export const renderValueWith = (special: (value: object) => string | undefined) => (value: unknown): string =>
  render(value, new Set(), special)

/** Renders a bad value so that the error shows exactly what was given. */
export const renderValue: (value: unknown) => string = renderValueWith(() => undefined)

const render = (value: unknown, seen: Set<unknown>, special: (value: object) => string | undefined): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (typeof value !== "object" || value === null) return String(value)
  if (seen.has(value)) return "[Circular]"
  seen.add(value)
  try {
    if (Array.isArray(value)) return `[${value.map((item) => render(item, seen, special)).join(", ")}]`
    const own = special(value)
    if (own !== undefined) return own
    const proto = Object.getPrototypeOf(value)
    // `Object.create(null)` has no `toString`: `String` would throw on it.
    if (proto === Object.prototype || proto === null) {
      const entries = Object.entries(value)
      return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${k}: ${render(v, seen, special)}`).join(", ")} }`
    }
    return String(value)
  } catch {
    return Object.prototype.toString.call(value)
  } finally {
    seen.delete(value)
  }
}
