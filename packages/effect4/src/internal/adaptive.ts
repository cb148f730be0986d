/**
 * A resource whose capacity follows an adaptive `Limit`: the shared core's
 * `AdaptiveCapacity` (see there for what it feeds the algorithm and when it
 * resizes), on this line's `Clock`, so that `TestClock` drives it.
 *
 * @internal
 */
import { AdaptiveCapacity as CoreAdaptiveCapacity } from "@effect-concurrency-limiter/core/limit/adaptiveCapacity"
import type * as Clock from "effect/Clock"
import type * as Limit from "../Limit.js"
import type { ResourceMetrics } from "./metrics.js"
import type { Outcome, SemaphoreImpl } from "./semaphore.js"

/** @internal */
export class AdaptiveCapacity extends CoreAdaptiveCapacity<Outcome> {
  constructor(
    limit: Limit.Limit<unknown>,
    /** The limit of `limit.initial`, already checked by the layer. */
    initial: number,
    semaphore: SemaphoreImpl,
    clock: Clock.Clock,
    /** The metrics' observer, which also publishes the limit; `null` when they are off. */
    inner: ResourceMetrics | null,
    /** Reports a defect of the algorithm (the limiter logs it); must not throw. */
    report: (defect: unknown) => void
  ) {
    // Millis with a fractional part: a call faster than a millisecond would
    // otherwise report a round-trip time of 0.
    super(limit, initial, semaphore, () => Number(clock.currentTimeNanosUnsafe()) / 1_000_000, inner, report)
  }
}
