/**
 * `npm run sim:adaptive`: every adaptive algorithm, untuned, against a family
 * of services (test/utils/limitSimulation.ts): knees 3, 6, 20, 60 and 200;
 * latency past the knee linear, quadratic, exponential or M/M/c; ±20 %
 * lognormal noise; started at min, at its initial and at max; the knee
 * doubling after 40 simulated seconds and coming back 20 s later. A
 * deterministic discrete-event simulation of the pure state machines: the
 * whole family takes a few minutes.
 *
 *   npm run sim:adaptive                         # every algorithm, the whole family
 *   npm run sim:adaptive -- --quick              # knees 6 and 60, shorter phases
 *   npm run sim:adaptive -- --only auto          # algorithms whose name contains it
 *   npm run sim:adaptive -- --knee 20 --curve mmc --verbose
 *   npm run sim:adaptive -- --seeds 3           # each run with 3 seeds (the tables: the worst)
 *   npm run sim:adaptive -- --write-docs         # rewrite the tables in docs/adaptive-simulation.md
 *
 * Per run and phase: settle time (entered ±30 % of the knee to stay ≥ 2 s),
 * the share of the time after it within the band, and throughput and mean
 * latency from then on against running at the knee (knee ÷ no-load latency
 * calls a second, at the no-load latency). Targets: ≥ 90 % within,
 * throughput ≥ 0.9, latency ≤ 1.5, re-settled ≤ 10 s after each move.
 */
import { Limit } from "effect-concurrency-limiter"
import { readFileSync, writeFileSync } from "node:fs"
import type { Curve, PhaseReport } from "../../test/utils/limitSimulation.js"
import { analyze, curves, simulate } from "../../test/utils/limitSimulation.js"

const args = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? undefined : args[i + 1]
}
const quick = args.includes("--quick")
const verbose = args.includes("--verbose")
const only = arg("only")
const kneeArg = arg("knee")
const curveArg = arg("curve")
const seeds = Number(arg("seeds") ?? 1)
if (!(Number.isInteger(seeds) && seeds >= 1)) throw new Error("--seeds: a positive integer")

const max = 1_000
interface Algorithm {
  readonly name: string
  readonly recommended?: boolean
  /** The limit started at `start`: "min", its own default initial, or "max". */
  readonly make: (start: "min" | "initial" | "max") => Limit.Limit<any>
}
const at = (start: "min" | "initial" | "max", initial: number) =>
  start === "min" ? 1 : start === "max" ? max : initial

const algorithms: ReadonlyArray<Algorithm> = [
  { name: "auto", recommended: true, make: (s) => Limit.auto({ max, ...(s === "initial" ? {} : { initial: at(s, 0) }) }) },
  { name: "vegas", make: (s) => Limit.vegas({ initial: at(s, 20), min: 1, max }) },
  { name: "gradient2", make: (s) => Limit.gradient2({ initial: at(s, 20), min: 1, max }) },
  { name: "windowed(gradient2)", make: (s) => Limit.windowed(Limit.gradient2({ initial: at(s, 20), min: 1, max })) },
  { name: "aimd", make: (s) => Limit.aimd({ initial: at(s, 20), min: 1, max }) }
]

const knees = kneeArg !== undefined ? [Number(kneeArg)] : quick ? [6, 60] : [3, 6, 20, 60, 200]
const family: ReadonlyArray<Curve> = curveArg !== undefined ? [curveArg as Curve] : curves
const starts = ["min", "initial", "max"] as const
const seconds = quick ? { first: 25, moved: 15 } : { first: 40, moved: 20 }

const target = { within: 0.9, throughput: 0.9, latency: 1.5, resettle: 10 }
/** On `pipelining`, whose throughput keeps rising past the knee, the bar is 0.95 × the best fixed limit's. */
const throughputTarget = (curve: Curve) => (curve === "pipelining" ? 0.95 : target.throughput)

interface Worst {
  settle: number
  resettle: number
  within: number
  throughput: number
  latency: number
}
const emptyWorst = (): Worst => ({ settle: 0, resettle: 0, within: 1, throughput: Infinity, latency: 0 })
const fold = (w: Worst, phases: ReadonlyArray<PhaseReport>): void => {
  const [first, ...moves] = phases
  w.settle = Math.max(w.settle, first.settleSeconds)
  for (const p of moves) w.resettle = Math.max(w.resettle, p.settleSeconds)
  for (const p of phases) {
    w.within = Math.min(w.within, p.withinShare)
    w.throughput = Math.min(w.throughput, p.throughputRatio)
    w.latency = Math.max(w.latency, p.latencyRatio)
  }
}
const fails = (w: Worst, curve: Curve): Array<string> => {
  const why: Array<string> = []
  if (w.settle === Infinity) why.push("never settles")
  if (w.resettle > target.resettle) why.push(`re-settles in ${fmtS(w.resettle)}`)
  if (w.within < target.within) why.push(`${pct(w.within)} within`)
  if (w.throughput < throughputTarget(curve)) why.push(`throughput ${w.throughput.toFixed(3)}×`)
  if (w.latency > target.latency) why.push(`latency ${w.latency.toFixed(3)}×`)
  return why
}
const fmtS = (s: number) => (s === Infinity ? "never" : `${s.toFixed(1)} s`)
const pct = (x: number) => `${Math.round(x * 100)} %`

const started = Date.now()
const summary: Array<string> = []
const detail: Array<string> = []
for (const algorithm of algorithms) {
  if (only !== undefined && !algorithm.name.includes(only)) continue
  const overall = emptyWorst()
  const rows: Array<string> = []
  let passed = 0
  let total = 0
  const t0 = Date.now()
  for (const knee of knees) {
    for (const curve of family) {
      const cell = emptyWorst()
      const cellFails: Array<string> = []
      for (const start of starts) for (let seed = 0; seed < seeds; seed++) {
        const result = simulate({
          limit: algorithm.make(start),
          curve,
          phases: [
            { knee, seconds: seconds.first },
            { knee: 2 * knee, seconds: seconds.moved },
            { knee, seconds: seconds.moved }
          ],
          seed: knee * 7919 + curves.indexOf(curve) * 104729 + starts.indexOf(start) + seed * 15485863
        })
        const phases = analyze(result)
        const w = emptyWorst()
        fold(w, phases)
        fold(cell, phases)
        total++
        const why = fails(w, curve)
        if (why.length === 0) passed++
        else cellFails.push(`from ${start}${seeds > 1 ? ` (seed ${seed})` : ""}: ${why.join(", ")}`)
        if (verbose) {
          const trace = result.steps.length > 400 ? `${result.steps.length} steps` : result.steps.map((s) => `${(s.atMillis / 1000).toFixed(1)}:${s.limit}`).join(" ")
          console.log(`${algorithm.name} knee ${knee} ${curve} from ${start}: ${JSON.stringify(phases.map((p) => ({ ...p, settleSeconds: fmtS(p.settleSeconds) })))}\n  ${trace}`)
        }
      }
      overall.settle = Math.max(overall.settle, cell.settle)
      overall.resettle = Math.max(overall.resettle, cell.resettle)
      overall.within = Math.min(overall.within, cell.within)
      overall.throughput = Math.min(overall.throughput, cell.throughput)
      overall.latency = Math.max(overall.latency, cell.latency)
      rows.push(
        `| ${knee} | ${curve} | ${fmtS(cell.settle)} | ${fmtS(cell.resettle)} | ${pct(cell.within)} | ${cell.throughput.toFixed(2)}× | ${cell.latency.toFixed(2)}× | ${cellFails.length === 0 ? "meets all" : cellFails.join("; ")} |`
      )
    }
  }
  const line = `| \`${algorithm.name}\`${algorithm.recommended ? " (recommended)" : ""} | ${passed} / ${total} | ${fmtS(overall.settle)} | ${fmtS(overall.resettle)} | ${pct(overall.within)} | ${overall.throughput.toFixed(2)}× | ${overall.latency.toFixed(2)}× |`
  summary.push(line)
  detail.push(`\n#### \`${algorithm.name}\`\n\n| knee | curve | settle | re-settle | within | throughput | latency | runs that miss a target |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n${rows.join("\n")}`)
  console.log(`${algorithm.name}: ${passed}/${total} runs meet every target (${((Date.now() - t0) / 1_000).toFixed(1)} s real)`)
}

const header = "| algorithm, untuned | runs meeting every target | worst settle | worst re-settle | worst share within ±30 % | worst throughput | worst latency |\n| --- | --- | --- | --- | --- | --- | --- |"
const tables = `${header}\n${summary.join("\n")}\n${detail.join("\n")}\n`
console.log(`\n${tables}`)
console.log(`(${((Date.now() - started) / 1_000).toFixed(1)} s real)`)

if (args.includes("--write-docs")) {
  if (quick || seeds !== 1 || only !== undefined || kneeArg !== undefined || curveArg !== undefined) {
    throw new Error("--write-docs: run the whole family (no --quick, --seeds, --only, --knee or --curve)")
  }
  const path = new URL("../../docs/adaptive-simulation.md", import.meta.url)
  const doc = readFileSync(path, "utf8")
  const begin = "<!-- sim:adaptive begin -->"
  const end = "<!-- sim:adaptive end -->"
  const i = doc.indexOf(begin)
  const j = doc.indexOf(end)
  if (i === -1 || j < i) throw new Error(`docs/adaptive-simulation.md: no ${begin} … ${end} markers`)
  writeFileSync(path, `${doc.slice(0, i + begin.length)}\n${tables}${doc.slice(j)}`)
  console.log("rewrote the tables in docs/adaptive-simulation.md")
}
