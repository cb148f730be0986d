/**
 * How a partitioned resource's capacity is divided into guaranteed permits
 * (see `semaphore/partitions.ts`, which recomputes them on every resize).
 */

/**
 * Float error in `capacity × share` is far below this; a real difference
 * between two shares' remainders is far above it.
 */
const EPSILON = 1e-9

/**
 * The permits each partition is guaranteed out of `capacity`: its share of
 * the capacity, rounded by largest remainder (Hamilton's method), so that the
 * guarantees never add up to more than the capacity and, when the shares add
 * up to 1, add up to exactly the capacity. Shares 0.8 / 0.2 of 7 permits give
 * 6 / 1 (5.6 and 1.4 floor to 5 and 1; the spare permit goes to the larger
 * remainder); ties go to the partition declared first.
 *
 * Floors and ties are decided with a tolerance: in floats, 2 × 0.7 leaves a
 * remainder of 0.3999999999999999, which would lose the tie it should win
 * against 2 × 0.2's 0.4, and 3 × (1/3) + 3 × (2/3) should still share out 3.
 */
export const guaranteedPermits = (capacity: number, shares: ReadonlyArray<number>): Array<number> => {
  const exact = shares.map((share) => capacity * share)
  const guaranteed = exact.map((x) => Math.floor(x + EPSILON))
  const total = Math.min(capacity, Math.floor(exact.reduce((a, b) => a + b, 0) + EPSILON))
  let spare = total - guaranteed.reduce((a, b) => a + b, 0)
  const byRemainder = exact
    .map((x, i) => ({ i, remainder: x - guaranteed[i] }))
    .sort((a, b) => (Math.abs(a.remainder - b.remainder) > EPSILON ? b.remainder - a.remainder : a.i - b.i))
  for (const { i } of byRemainder) {
    if (spare <= 0) break
    guaranteed[i]++
    spare--
  }
  return guaranteed
}
