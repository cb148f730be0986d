/**
 * Ramping virtual-user schedules with k6 `ramping-vus` semantics: a scenario
 * starts with `startVUs` and moves linearly towards each stage's `target`
 * over the stage's duration.
 *
 * Pure functions only, so they can be unit-tested without timers.
 */

/** One k6 stage: reach `target` VUs linearly over `durationMs`. */
export interface Stage {
  readonly durationMs: number
  readonly target: number
}

/** A closed-loop scenario: VUs loop on `GET path` with no think time. */
export interface Scenario {
  /** Name used in CSV and charts, e.g. `/messages`. */
  readonly name: string
  /** Request path, e.g. `/messages`. */
  readonly path: string
  readonly startVUs: number
  readonly stages: ReadonlyArray<Stage>
}

/** Total duration of a scenario in milliseconds. */
export const durationOf = (scenario: Scenario): number =>
  scenario.stages.reduce((sum, s) => sum + s.durationMs, 0)

/** The largest VU count a scenario ever asks for (sizes the connection pool). */
export const maxVUsOf = (scenario: Scenario): number =>
  scenario.stages.reduce((max, s) => Math.max(max, s.target), scenario.startVUs)

/**
 * The number of VUs a scenario wants at `elapsedMs`.
 *
 * Like k6, a VU is added when the linear ramp reaches the next integer and
 * removed only when it falls below one: floor while ramping up, ceil while
 * ramping down. After the last stage the answer is 0 (the scenario is over).
 */
export const vusAt = (scenario: Scenario, elapsedMs: number): number => {
  if (elapsedMs < 0) return 0
  let from = scenario.startVUs
  let start = 0
  for (const stage of scenario.stages) {
    const end = start + stage.durationMs
    if (elapsedMs < end) {
      const fraction = stage.durationMs === 0 ? 1 : (elapsedMs - start) / stage.durationMs
      const exact = from + (stage.target - from) * fraction
      // Round half-way values away from float noise before floor/ceil.
      const cleaned = Math.round(exact * 1e9) / 1e9
      return stage.target >= from ? Math.floor(cleaned) : Math.ceil(cleaned)
    }
    from = stage.target
    start = end
  }
  return 0
}

/** Stage boundaries, in ms from the start, where the spike starts and ends. */
export interface SpikeWindow {
  /** When the ramp towards the peak starts. */
  readonly startMs: number
  /** When the drop back from the peak has finished. */
  readonly endMs: number
}

/**
 * The messages scenario of the Python library's k6 script, scaled in time:
 * `base` VUs for `hold`, ramp to `peak` over `ramp`, drop to `base` in `drop`,
 * hold `base` for `tail`.
 */
export const spikeScenario = (options: {
  readonly name: string
  readonly path: string
  readonly base: number
  readonly peak: number
  readonly holdMs: number
  readonly rampMs: number
  readonly dropMs: number
  readonly tailMs: number
}): { readonly scenario: Scenario; readonly spike: SpikeWindow } => ({
  scenario: {
    name: options.name,
    path: options.path,
    startVUs: options.base,
    stages: [
      { durationMs: options.holdMs, target: options.base },
      { durationMs: options.rampMs, target: options.peak },
      { durationMs: options.dropMs, target: options.base },
      { durationMs: options.tailMs, target: options.base }
    ]
  },
  spike: { startMs: options.holdMs, endMs: options.holdMs + options.rampMs + options.dropMs }
})

/** A scenario holding a constant number of VUs for `durationMs`. */
export const constantScenario = (options: {
  readonly name: string
  readonly path: string
  readonly vus: number
  readonly durationMs: number
}): Scenario => ({
  name: options.name,
  path: options.path,
  startVUs: options.vus,
  stages: [{ durationMs: options.durationMs, target: options.vus }]
})
