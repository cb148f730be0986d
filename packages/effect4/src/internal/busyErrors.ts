/**
 * The refusals a limiter answers with: the shared core's `Refusals`, made
 * of this line's `BusyError` and `Duration` (see there for why they are
 * kept and reused, without stack traces).
 *
 * @internal
 */
import { Refusals } from "@effect-concurrency-limiter/core/busy/refusals"
import * as Duration from "effect/Duration"
import { BusyError } from "../BusyError.js"

/** @internal */
export class BusyErrors extends Refusals<Duration.Duration, BusyError> {
  constructor(maxEntries = 256) {
    super({
      make: (resource, reason, waited) => new BusyError({ resource, waited, reason }),
      toMillis: Duration.toMillis,
      zero: Duration.zero,
      maxEntries
    })
  }
}
