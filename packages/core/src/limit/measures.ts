/**
 * The arithmetic the adaptive algorithms share: keeping a limit in bounds,
 * and reading how loaded the service was from a sample.
 */
import type { Sample } from "./model.js"

/** `n` within [min, max]. */
export const clamp = (n: number, min: number, max: number): number => Math.max(min, Math.min(max, n))

/**
 * The integer limit a float estimate stands for: rounded down, as Java's
 * `(int)` cast does in Netflix's code, then kept in bounds.
 */
export const floorIn = (estimate: number, min: number, max: number): number => clamp(Math.floor(estimate), min, max)

/**
 * Whether a call ran with at most `min` calls in flight, from its grant to
 * its release: its rtt is then the service's no-load rtt (at `min`).
 */
export const ranAlone = (sample: Sample, min: number): boolean =>
  sample.inflight <= min && (sample.inflightAtRelease ?? sample.inflight) <= min

/**
 * The most calls in flight a call met: at its grant or at its release,
 * itself included.
 */
export const loadOf = (sample: Sample): number => Math.max(sample.inflight, sample.inflightAtRelease ?? 0)
