/**
 * The stress run of the models (`npm run stress:model`, and its short
 * version in test/stress-model.test.ts): fast-check properties over the
 * models of test/model/, checked in rounds of fixed seeds until the drivers
 * have executed the target number of operations (commands for the
 * semaphore and the guard, guarded calls for the adaptive and the
 * multi-resource workloads), the work shared between the models by a fixed
 * split. The first failure stops the run; fast-check shrinks it, and the
 * report carries what replays it: the round's seed and the shrunk path.
 */
import { Effect } from "effect"
import * as fc from "effect/FastCheck"
import * as adaptive from "./adaptive.js"
import type { Counter } from "./check.js"
import * as guard from "./guard.js"
import * as multi from "./multi.js"
import * as semaphore from "./semaphore.js"

/** Runs a driver (each brings its own clock). */
const run = (effect: Effect.Effect<void, unknown>): Promise<void> => Effect.runPromise(effect)

interface Model {
  /** Its part of the total operations. */
  readonly share: number
  /** Runs per fast-check round: a round is the unit of seeding and of the time checks. */
  readonly runsPerRound: number
  readonly property: (counter: Counter) => fc.IAsyncProperty<any>
}

/**
 * The models, in the order the report lists them. Their scenarios are
 * longer than the property tests' (up to 150 commands, lengths spread
 * evenly): deeper queues, and less of the time spent setting runs up.
 */
export const models = {
  semaphore: {
    share: 0.4,
    runsPerRound: 20,
    property: (counter) =>
      fc.asyncProperty(semaphore.scenario(150, "max"), ([initial, commands]) =>
        run(semaphore.runScenario(initial, commands, counter)))
  },
  guard: {
    share: 0.4,
    runsPerRound: 20,
    property: (counter) =>
      fc.asyncProperty(guard.scenario(150, "max"), ([config, commands]) => run(guard.runScenario(config, commands, counter)))
  },
  adaptive: {
    share: 0.1,
    runsPerRound: 20,
    property: (counter) =>
      fc.asyncProperty(adaptive.scenario(60, "max"), ([algorithm, calls]) =>
        run(adaptive.runScenario(algorithm, calls, counter)))
  },
  multi: {
    share: 0.1,
    runsPerRound: 20,
    property: (counter) => fc.asyncProperty(multi.scenario(40, "max"), (requests) => run(multi.runScenario(requests, counter)))
  }
} satisfies Record<string, Model>

export type ModelName = keyof typeof models

export const modelNames = Object.keys(models) as ReadonlyArray<ModelName>

/** What one model did in a stress run. */
export interface ModelReport {
  readonly model: ModelName
  /** Operations this model was to execute. */
  readonly target: number
  runs: number
  ops: number
  millis: number
}

/** The first failure of a stress run, and how to replay it. */
export interface Failure {
  readonly model: ModelName
  readonly seed: number
  readonly path: string
  readonly counterexample: unknown
  readonly error: string
}

export interface Report {
  readonly seed: number
  readonly models: ReadonlyArray<ModelReport>
  readonly failure: Failure | undefined
  /** Whether every model reached its target (false after a failure or when time ran out). */
  readonly complete: boolean
  readonly millis: number
}

export interface Options {
  /** Total operations across the models. */
  readonly ops: number
  readonly seed: number
  readonly models?: ReadonlyArray<ModelName> | undefined
  /** Stops (incomplete) once this much time has passed. */
  readonly maxMillis?: number | undefined
  /** Called after every round, e.g. to print progress. */
  readonly onRound?: ((models: ReadonlyArray<ModelReport>, elapsedMillis: number) => void) | undefined
}

/** The seed of round `round` of model `index`: every round has its own, derived from the run's. */
export const roundSeed = (seed: number, index: number, round: number): number =>
  (seed + Math.imul(round + 1, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) | 0

const describeError = (error: unknown): string => error instanceof Error ? error.message : String(error)

/**
 * Checks the models in rounds, always advancing the one furthest from its
 * target, until every one has reached it, one fails, or time runs out.
 */
export const stress = async (options: Options): Promise<Report> => {
  const names = options.models ?? modelNames
  const shares = names.reduce((sum, name) => sum + models[name].share, 0)
  const reports: Array<ModelReport> = names.map((model) => ({
    model,
    target: Math.ceil((options.ops * models[model].share) / shares),
    runs: 0,
    ops: 0,
    millis: 0
  }))
  const rounds = names.map(() => 0)
  const started = Date.now()
  const maxMillis = options.maxMillis ?? Infinity
  let failure: Failure | undefined
  for (;;) {
    const pending = reports.filter((r) => r.ops < r.target)
    if (pending.length === 0 || Date.now() - started >= maxMillis) break
    const report = pending.reduce((a, b) => (a.ops / a.target <= b.ops / b.target ? a : b))
    const index = names.indexOf(report.model)
    const seed = roundSeed(options.seed, index, rounds[index]++)
    const counter: Counter = { ops: 0 }
    const roundStarted = Date.now()
    const model: Model = models[report.model]
    const details = await fc.check(model.property(counter), { seed, numRuns: model.runsPerRound })
    report.millis += Date.now() - roundStarted
    report.runs += details.numRuns
    report.ops += counter.ops
    options.onRound?.(reports, Date.now() - started)
    if (details.failed) {
      failure = {
        model: report.model,
        seed,
        path: details.counterexamplePath ?? "",
        counterexample: details.counterexample?.[0],
        error: describeError(details.errorInstance)
      }
      break
    }
  }
  return {
    seed: options.seed,
    models: reports,
    failure,
    complete: failure === undefined && reports.every((r) => r.ops >= r.target),
    millis: Date.now() - started
  }
}

/**
 * Replays one failing case: the run of `model`'s property at `seed` and
 * `path`, as a failure reported it. Resolves with the error, or `undefined`
 * when the case passes now (fast-check then also runs the other shrinks of
 * the path's last level).
 */
export const replay = async (model: ModelName, seed: number, path: string): Promise<string | undefined> => {
  const { property }: Model = models[model]
  // One run: a path without shrinks ("12") would otherwise go on to the runs after it.
  const details = await fc.check(property({ ops: 0 }), { seed, path, numRuns: 1, endOnFailure: true })
  return details.failed ? describeError(details.errorInstance) : undefined
}
