/**
 * `auto`'s numbers, in a file of their own: the no-load measurement
 * (noLoad.ts) and the windows (auto.ts) both read them.
 */

/** The defaults of `auto`'s options, and the constants of its measurements. */
export const defaults = {
  initial: 10,
  min: 1,
  max: 1_000,
  tolerance: 1.1,
  remeasureMillis: 60_000,
  windowSamples: 24,
  /** A window may be judged slow from this many calls (judged by throughput: `windowSamples`). */
  windowSamplesEarly: 8,
  windowSamplesMax: 400,
  /** … or this many no-load latencies. */
  windowFloors: 50,
  /** A window waits this many of its mean rtts after its last grant for its slow calls. */
  stragglers: 4,
  /** Calls measured alone: at least this many, … */
  floorSamples: 32,
  /** … until their mean is known within 3 % (one standard error), or this many. */
  floorSamplesMax: 300,
  /**
   * Windows held after a decrease judged by latency before growing again,
   * counted in calls (windows of `windowSamples`), for each such window
   * the slow one took: a probe past the knee costs one window, long on a
   * noisy service, so about one call in 17 goes above the knee however
   * long. `holdJudged`: after a decrease judged by throughput;
   * `holdRepeated`: after a probe thrown out again, on the evidence of two.
   */
  hold: 16,
  holdJudged: 4,
  holdRepeated: 8,
  /**
   * A window slower than the tolerance is still worth its latency while the
   * limit buys throughput: at least this elasticity (log gain in calls a
   * second per log of the limit) against a limit `span` times lower, …
   */
  worth: 0.04,
  span: 1.25,
  /**
   * … taken this many standard errors low: a gain shown beyond the noise,
   * however small. Calls queued for the limit wait less when it buys
   * throughput (Little's law: those waiting and running ÷ the rate), so a
   * gain that is sure is worth the latency of the calls in the service; a
   * database on one core gains 5–15 % a step for several steps, which a
   * bar of 0.1 on the estimate alone missed half the time, and on a
   * service past its knee a noisy window (2 %) passes two errors low less
   * often than it passed such a bar.
   */
  worthErrors: 2,
  /**
   * A limit at or below the last found good is kept while its elasticity
   * is above `worth` this many standard errors low: on its estimate alone.
   */
  keepErrors: 0,
  /** A window slower than the tolerance is judged by throughput: its mean known within this (one standard error), from this many calls at least. */
  windowErrorSlow: 0.02,
  windowSamplesSlow: 96,
  /** Coming back from a limit not worth it: to the least whose throughput is within this of the best measured. */
  nearBest: 0.03
} as const
