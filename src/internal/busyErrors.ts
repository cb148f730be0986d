/**
 * The refusals a limiter answers with. A `BusyError` is an expected outcome
 * under overload, not a bug: a stack trace would say nothing, so none is
 * captured. It is immutable, so a limiter makes one per resource, reason and
 * timeout and reuses it for every 503, even for guards made inside a handler
 * (a new guard per request).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import { BusyError } from "../BusyError.js"

/** @internal */
export class BusyErrors {
  /**
   * Insertion-ordered, and bounded: guards with timeouts of their own made
   * at run time (a timeout per request) would otherwise add an entry each.
   */
  private readonly cache = new Map<string, BusyError>()

  constructor(private readonly maxEntries = 256) {}

  /** The refusal of `resource` for `reason`: only a timeout has waited (`timeout`); the others refuse at once. */
  /** The number of refusals kept for reuse. */
  get size(): number {
    return this.cache.size
  }

  get(resource: string, reason: BusyError["reason"], timeout: Duration.Duration): BusyError {
    const waited = reason === "timeout" ? timeout : Duration.zero
    const key = `${resource}\u0000${reason}\u0000${Duration.toMillis(waited)}`
    const cached = this.cache.get(key)
    if (cached !== undefined) return cached
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      const error = new BusyError({ resource, waited, reason })
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
