/**
 * How a partitioned resource's capacity is divided into guaranteed permits.
 *
 * @internal
 */

/**
 * The permits each partition is guaranteed out of `capacity`: its share of
 * the capacity, rounded by largest remainder (Hamilton's method), so that the
 * guarantees never add up to more than the capacity and, when the shares add
 * up to 1, add up to exactly the capacity. Shares 0.8 / 0.2 of 7 permits give
 * 6 / 1 (5.6 and 1.4 floor to 5 and 1; the spare permit goes to the larger
 * remainder); ties go to the partition declared first.
 *
 * @internal
 */
export const guaranteedPermits = (capacity: number, shares: ReadonlyArray<number>): Array<number> => {
  const exact = shares.map((share) => capacity * share)
  const guaranteed = exact.map(Math.floor)
  // The total to reach: the capacity times the shares' sum, rounded down (a
  // tolerance absorbs the float error of shares such as 0.1 + 0.2 + 0.7).
  const total = Math.min(capacity, Math.floor(exact.reduce((a, b) => a + b, 0) + 1e-9))
  let spare = total - guaranteed.reduce((a, b) => a + b, 0)
  const byRemainder = exact
    .map((x, i) => ({ i, remainder: x - Math.floor(x) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i)
  for (const { i } of byRemainder) {
    if (spare <= 0) break
    guaranteed[i]++
    spare--
  }
  return guaranteed
}
