/**
 * What `auto` remembers of throughput: the calls a millisecond each limit
 * sustained in its last window in full use (Little's law: mean load ÷ mean
 * latency), so that a window slower than the no-load latency can still be
 * worth its latency — a service that overlaps its calls (a database) is
 * slower from the second call in flight, yet serves more.
 */

/** One limit's windows in full use, merged. */
export interface RatePoint {
  readonly limit: number
  /** Calls a millisecond: the window's mean load ÷ its mean latency. */
  readonly rate: number
  /** The relative standard error of `rate` (that of the mean latency). */
  readonly error: number
  /**
   * Whether its window was past the tolerance by a standard error (or is
   * the no-load measurement): only such a point shows the slope of a
   * service that is slower from its second call. Past a flat stretch's
   * knee, a window gains on a fast one below the knee though more buys
   * nothing there.
   */
  readonly slow: boolean
}

/** The points kept, at most (past it, the one farthest from the newest goes). */
const keep = 24

/**
 * `points` (ascending by limit) with `point` put in: merged with a point at
 * the same limit (weighted by precision, the older at half its weight, so
 * that a limit held for many windows is known better and a change still
 * shows); past `keep` points, the one farthest from `point` goes.
 */
export const record = (points: ReadonlyArray<RatePoint>, point: RatePoint): ReadonlyArray<RatePoint> => {
  const old = points.find((p) => p.limit === point.limit)
  const merged = old === undefined ? point : merge(old, point)
  const all = [...points.filter((p) => p !== old), merged].sort((a, b) => a.limit - b.limit)
  if (all.length <= keep) return all
  const farthest = all.reduce((far, p) => Math.abs(p.limit - point.limit) > Math.abs(far.limit - point.limit) ? p : far)
  return all.filter((p) => p !== farthest)
}

/** `point` merged with `old`, a point at the same limit measured before it (at half its weight). */
export const merge = (old: RatePoint, point: RatePoint): RatePoint => {
  // An error of 0 (identical calls) would weigh infinitely: 0.1 % at least.
  const weightOld = 0.5 / Math.max(old.error, 0.001) ** 2
  const weightNew = 1 / Math.max(point.error, 0.001) ** 2
  const weight = weightOld + weightNew
  return {
    limit: point.limit,
    rate: (old.rate * weightOld + point.rate * weightNew) / weight,
    error: 1 / Math.sqrt(weight),
    slow: point.slow
  }
}

/**
 * The least limit whose rate is within `share` of the best rate among
 * `points` (0 if none): where more concurrency stops buying throughput —
 * the knee of a service with a flat stretch, or the start of the plateau of
 * one that overlaps its calls.
 */
export const leastNearBest = (points: ReadonlyArray<RatePoint>, share: number): number => {
  const best = points.reduce((most, p) => Math.max(most, p.rate), 0)
  return points.find((p) => p.rate >= (1 - share) * best)?.limit ?? 0
}

/** The points at or below `limit`: those above were measured on a knee since lowered. */
export const atOrBelow = (points: ReadonlyArray<RatePoint>, limit: number): ReadonlyArray<RatePoint> =>
  points.every((p) => p.limit <= limit) ? points : points.filter((p) => p.limit <= limit)

/**
 * The point a window at `limit` is compared with: the highest at or below
 * `limit ÷ span`, far enough below for the gain to show above the noise;
 * none if that is below `limit ÷ span²` (rounded down), too far for the gain
 * to be the curve's slope there rather than its average since, or if it
 * was fast (see `slow`).
 */
export const reference = (points: ReadonlyArray<RatePoint>, limit: number, span: number): RatePoint | undefined => {
  let found: RatePoint | undefined
  for (const p of points) {
    if (p.limit > limit / span) break
    found = p
  }
  return found !== undefined && found.slow && found.limit >= Math.floor(limit / (span * span)) ? found : undefined
}

/**
 * How a window at `limit` sustaining `rate` (± `error`) fares against `ref`:
 * its throughput's elasticity (the gain in log throughput per log of the
 * limit), taken `z` standard errors low (`"low"`) or high (`"high"`).
 */
export const elasticity = (ref: RatePoint, limit: number, rate: number, error: number, z: number, side: "low" | "high"): number => {
  const noise = z * Math.hypot(error, ref.error)
  const gain = Math.log(rate / ref.rate) + (side === "low" ? -noise : noise)
  return gain / Math.log(limit / ref.limit)
}

/** The highest limit above `pin` and at most `limit` with a slow point (0 if none). */
export const highestSlow = (points: ReadonlyArray<RatePoint>, limit: number, pin: number): number =>
  points.reduce((high, p) => p.slow && p.limit > pin && p.limit <= limit ? Math.max(high, p.limit) : high, 0)
