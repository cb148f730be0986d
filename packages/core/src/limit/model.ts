/**
 * What a limit algorithm is: a pure state machine that turns the outcomes
 * of guarded calls (`Sample`s) into a concurrency limit, branded so that a
 * limiter tells it from a plain capacity. Both Effect lines re-export these
 * types as their `Limit` module's.
 */

/**
 * Brands limits. `Symbol.for`, so that a limit made by one copy of the
 * library (or one Effect line) is known by another.
 */
export const TypeId: unique symbol = Symbol.for("effect-concurrency-limiter/Limit")

/** The type of `TypeId`. */
export type TypeId = typeof TypeId

/** One guarded call's outcome, fed to the algorithm when the call ends. */
export interface Sample {
  /** When the call ended, in Clock millis (windows are measured with it). */
  readonly endMillis: number
  /** Round-trip time: from the grant of its permit to its release, in millis. */
  readonly rttMillis: number
  /** Permits in use when this call got its permit, itself included. */
  readonly inflight: number
  /**
   * Permits in use when it released it, itself included; absent: `inflight`.
   * A call ran alone only if both are low: calls granted together at once
   * are counted 1, 2, … at their grants, yet each ran with all the others.
   */
  readonly inflightAtRelease?: number | undefined
  /**
   * `"success"`; `"failure"`: the call failed (counts as a drop, like
   * Netflix's `onDropped`); `"dropped"`: refused by the limiter (timeout or
   * queue full), no rtt (`rttMillis` 0). The algorithms here ignore
   * `"dropped"`, as Netflix never feeds its limiter's rejections to the
   * limit; a custom `Limit` may use it.
   */
  readonly outcome: "success" | "failure" | "dropped"
}

/** An algorithm: a pure state machine over samples. */
export interface Limit<S = unknown> {
  readonly [TypeId]: TypeId
  /** e.g. "gradient2" — for metrics and errors. */
  readonly name: string
  /** The least limit it ever stands for. */
  readonly min: number
  /** The greatest limit it ever stands for. */
  readonly max: number
  /** The state before any sample. */
  readonly initial: S
  /** The next state. Pure: must not mutate `state`. */
  readonly update: (state: S, sample: Sample) => S
  /** The concurrency limit a state stands for: an integer in [min, max]. */
  readonly limitOf: (state: S) => number
}

/**
 * A tuning value given as a constant or as a function of the current
 * (integer) limit, as Netflix's builders accept both. It must be pure; a
 * non-finite answer leaves the limit where it is.
 */
export type Tuning = number | ((limit: number) => number)

/** Whether a value is a `Limit` (carries `TypeId`). */
export const isLimit = (u: unknown): u is Limit =>
  (typeof u === "object" || typeof u === "function") && u !== null && TypeId in u

/** Stamps the type id on an algorithm's parts, so that `isLimit` knows it. */
export const make = <S>(parts: Omit<Limit<S>, TypeId>): Limit<S> => ({ [TypeId]: TypeId, ...parts })
