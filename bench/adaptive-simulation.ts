/**
 * The knee simulation of issue 10 for every adaptive algorithm: a service
 * whose latency is 20 ms up to a knee of in-flight calls and rises steeply
 * past it (test/utils/kneeSimulation.ts), a closed loop of 200 fibers, the
 * knee at 6, then 12, then 6 again; each algorithm started at 1 and at 200
 * (min 1, max 200). On the TestClock, so the simulated seconds cost far
 * less than real ones.
 *
 * Per run it prints, per phase: the time to settle within ±30 % of the knee
 * (the first 100 ms sample after which the capacity stays in the band for
 * the rest of the phase), the share of the phase's second half in the band,
 * the median / min / max capacity, and the throughput and mean latency of
 * the phase's last second; then a verdict (every phase settled, and ≥ 90 %
 * of every second half in the band).
 *
 *   npm run sim:adaptive                      # Netflix's defaults, then configured for a small knee
 *   npm run sim:adaptive -- --seconds 10      # per phase (default 20)
 *   npm run sim:adaptive -- --only gradient2  # the configurations whose name contains it
 *
 * Configurations (min 1 and max 200 everywhere, `initial` 1 or 200):
 * - Netflix's defaults, for reference (aimd's 5 s timeout never fires
 *   against a service capped at 2 s).
 * - Configured for a small knee, as the README advises: aimd with a 25 ms
 *   threshold (1.25 × the no-load latency) and backoff 0.75; vegas with
 *   alpha 1, beta 2, threshold 0; windowed(gradient2) with queue 1,
 *   tolerance 1 and 200 ms windows; and the same gradient2 per call.
 *
 * Findings: docs/adaptive-simulation.md. The three configured for a small
 * knee converge and track from 1 and from 200 (test/Limiter.adaptive.
 * simulation.test.ts pins them); Netflix's defaults settle about twice the
 * knee, as they let 4 (gradient2) or 3–6 (vegas) calls queue; per-call
 * gradient2 saws one above the knee of 6.
 */
import { Effect, TestContext } from "effect"
import { Limit } from "effect-concurrency-limiter"
import type { PhaseVerdict, SimulationResult } from "../test/utils/kneeSimulation.js"
import { analyze, simulateKnee } from "../test/utils/kneeSimulation.js"

const args = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? undefined : args[i + 1]
}
const seconds = Number(arg("seconds") ?? 20)
const only = arg("only")
if (!(Number.isInteger(seconds) && seconds >= 2 && seconds <= 60)) throw new Error("--seconds: an integer in [2, 60]")

const bounds = { min: 1, max: 200 } as const

interface Config {
  readonly name: string
  readonly make: (initial: number) => Limit.Limit<any>
}

const configs: ReadonlyArray<Config> = [
  // Netflix's defaults (min 1, max 200), for reference.
  { name: "aimd", make: (initial) => Limit.aimd({ initial, ...bounds }) },
  { name: "vegas", make: (initial) => Limit.vegas({ initial, ...bounds }) },
  { name: "gradient2", make: (initial) => Limit.gradient2({ initial, ...bounds }) },
  { name: "windowed(gradient2)", make: (initial) => Limit.windowed(Limit.gradient2({ initial, ...bounds })) },
  // Configured for a small knee (see the header): the ones that converge.
  {
    name: "aimd timeout 25 ms, backoff 0.75",
    make: (initial) => Limit.aimd({ initial, ...bounds, timeoutMillis: 25, backoffRatio: 0.75 })
  },
  {
    name: "vegas alpha 1, beta 2, threshold 0",
    make: (initial) => Limit.vegas({ initial, ...bounds, alpha: 1, beta: 2, threshold: 0 })
  },
  {
    name: "windowed(gradient2 queueSize 1, rttTolerance 1), 200 ms",
    make: (initial) =>
      Limit.windowed(Limit.gradient2({ initial, ...bounds, queueSize: 1, rttTolerance: 1 }), {
        minWindowMillis: 200,
        maxWindowMillis: 200
      })
  },
  // The same gradient2 per call, which does not.
  {
    name: "gradient2 queueSize 1, rttTolerance 1",
    make: (initial) => Limit.gradient2({ initial, ...bounds, queueSize: 1, rttTolerance: 1 })
  }
]

const phases = [{ knee: 6, seconds }, { knee: 12, seconds }, { knee: 6, seconds }]

const fmt = (x: number, digits = 0) => Number.isFinite(x) ? x.toFixed(digits) : "-"
const pad = (s: string, n: number) => s.padStart(n)

const table = (result: SimulationResult, verdicts: ReadonlyArray<PhaseVerdict>): string => {
  const header = ["phase", "knee", "settle s", "2nd half in", "median", "min", "max", "calls/s", "latency ms"]
  const widths = [7, 5, 9, 12, 7, 5, 5, 8, 11]
  const lines = [header.map((h, i) => pad(h, widths[i])).join(" ")]
  let second = 0
  verdicts.forEach((v, i) => {
    second += result.phases[i].seconds
    const last = result.seconds[second - 1]
    lines.push([
      `${i + 1}`,
      `${v.knee}`,
      v.settleSeconds === undefined ? "never" : v.settleSeconds.toFixed(1),
      `${(v.secondHalfWithin * 100).toFixed(0)} %`,
      `${v.medianCapacity}`,
      `${v.minCapacity}`,
      `${v.maxCapacity}`,
      `${last.completed}`,
      fmt(last.meanLatencyMillis)
    ].map((c, j) => pad(c, widths[j])).join(" "))
  })
  return lines.join("\n")
}

const verdictOf = (verdicts: ReadonlyArray<PhaseVerdict>): string => {
  const failed = verdicts.flatMap((v, i) => {
    const why: Array<string> = []
    if (v.settleSeconds === undefined) why.push(`phase ${i + 1} never settles`)
    else if (v.secondHalfWithin < 0.9) why.push(`phase ${i + 1}: ${(v.secondHalfWithin * 100).toFixed(0)} % of its second half in the band`)
    return why
  })
  return failed.length === 0 ? "CONVERGES and TRACKS" : `FAILS: ${failed.join("; ")}`
}

const started = Date.now()
const summary: Array<string> = []
console.log(`knee 6 → 12 → 6, ${seconds} simulated s each; 200 closed-loop fibers; band ±30 % of the knee`)
for (const config of configs) {
  if (only !== undefined && !config.name.includes(only)) continue
  for (const initial of [1, 200]) {
    const t0 = Date.now()
    const result = await Effect.runPromise(
      simulateKnee({ limit: config.make(initial), phases }).pipe(Effect.provide(TestContext.TestContext))
    )
    const verdicts = analyze(result)
    const verdict = verdictOf(verdicts)
    console.log(`\n${config.name}, initial ${initial}  (${((Date.now() - t0) / 1_000).toFixed(1)} s real)`)
    console.log(table(result, verdicts))
    console.log(`verdict: ${verdict}`)
    if (args.includes("--trace")) {
      console.log(result.capacity.map((s) => s.capacity).join(" "))
    }
    summary.push(`${`${config.name}, from ${initial}`.padEnd(60)} ${verdict}`)
  }
}
console.log(`\nsummary (${((Date.now() - started) / 1_000).toFixed(1)} s real)`)
for (const line of summary) console.log(line)
