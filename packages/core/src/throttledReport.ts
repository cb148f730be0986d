/**
 * Reports of defects in user code that the limiter isolates (a custom
 * `Limit`, or a `Tuning` function, that throws inside the semaphore's
 * bookkeeping), throttled so that the same broken callback, run on every
 * request, does not flood the app's logger. Each Effect line gives it its
 * clock and its logger.
 */

/**
 * A reporter that emits the first defect at once, then at most one every
 * `everyMillis` (on `now`'s clock), counting the ones it left out in
 * between and saying so in the next message. It never throws: an `emit`
 * that throws (the logger is gone, the layer closing) is ignored, the
 * limiter's own accounting having been done already.
 */
export const throttledReporter = (
  now: () => number,
  emit: (text: string, defect: unknown) => void,
  message: string,
  everyMillis = 10_000
): (defect: unknown) => void => {
  let emittedAt = -Infinity
  let skipped = 0
  return (defect) => {
    const at = now()
    if (at - emittedAt < everyMillis) {
      skipped++
      return
    }
    emittedAt = at
    const text = skipped === 0 ? message : `${message} (and ${skipped} more times since the last report)`
    skipped = 0
    try {
      emit(text, defect)
    } catch {
      // Nowhere left to report to: the limit is intact all the same.
    }
  }
}
