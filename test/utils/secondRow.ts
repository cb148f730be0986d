/**
 * A per-second row of the overload benchmark, with quiet defaults, for the
 * bench's unit tests to override what they are about.
 */
import type { SecondRow } from "../../bench/load/aggregate.js"

export const row = (t: number, endpoint: string, over: Partial<SecondRow> = {}): SecondRow => ({
  t,
  endpoint,
  vus: 10,
  requests: 0,
  ok: 0,
  busy: 0,
  timeouts: 0,
  errors: 0,
  p50: 1,
  p95: 1,
  p99: 1,
  max: 1,
  busyMax: Number.NaN,
  ...over
})
