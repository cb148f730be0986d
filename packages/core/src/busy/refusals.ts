/**
 * The refusals a limiter answers with, made once and reused.
 *
 * @since 0.5.0
 */
import type { Reason } from "./reason.js"

/**
 * How a line makes its refusal (a `BusyError`) and reads its durations.
 * `W` is the line's `Duration`.
 */
export interface RefusalsOptions<W, E> {
  readonly make: (resource: string, reason: Reason, waited: W) => E
  readonly toMillis: (waited: W) => number
  /** The wait of a refusal that did not wait (`Duration.zero`). */
  readonly zero: W
  /** How many refusals to keep; 256 unless told. */
  readonly maxEntries?: number | undefined
}

/**
 * A refusal is an expected outcome under overload, not a bug: a stack trace
 * would say nothing, so none is captured. It is immutable, so a limiter makes
 * one per resource, reason and wait and reuses it for every 503, even for
 * guards made inside a handler (a new guard per request).
 */
export class Refusals<W, E> {
  /**
   * Insertion-ordered, and bounded: guards with timeouts of their own made
   * at run time (a timeout per request) would otherwise add an entry each.
   */
  private readonly cache = new Map<string, E>()
  private readonly maxEntries: number

  constructor(private readonly options: RefusalsOptions<W, E>) {
    this.maxEntries = options.maxEntries ?? 256
  }

  /** The number of refusals kept for reuse. */
  get size(): number {
    return this.cache.size
  }

  /** The refusal of `resource` for `reason`: only a timeout has waited (`timeout`); the others refuse at once. */
  get(resource: string, reason: Reason, timeout: W): E {
    const waited = reason === "timeout" ? timeout : this.options.zero
    const key = `${resource}\u0000${reason}\u0000${this.options.toMillis(waited)}`
    const cached = this.cache.get(key)
    if (cached !== undefined) return cached
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      const error = this.options.make(resource, reason, waited)
      // The oldest entry makes room: the limiter's own timeouts are used on
      // every refusal and come back at once if ever evicted.
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!)
      this.cache.set(key, error)
      return error
    } finally {
      Error.stackTraceLimit = stackTraceLimit
    }
  }
}
