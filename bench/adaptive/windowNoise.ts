/**
 * `npx tsx bench/adaptive/windowNoise.ts`: how far the noise that
 * `Limit.auto` states for a window's throughput is from the noise that
 * window has, at fixed limits on the simulation's services
 * (test/utils/limitSimulation.ts). A window's throughput is its calls' mean
 * load ÷ their mean latency (Little's law), and its stated error is the
 * standard error of that mean latency, as if the calls were independent.
 * Here each limit runs for 300 simulated seconds; the calls, in the order
 * they were granted, are cut into windows of the fewest calls `Limit.auto`
 * judges by throughput (`windowSamplesSlow`) and of 300; and the
 * spread of the windows' throughputs (their relative standard deviation)
 * is set beside the error the windows state, on average.
 *
 *   npx tsx bench/adaptive/windowNoise.ts
 *   npx tsx bench/adaptive/windowNoise.ts --seed 7
 */
import { defaults } from "@effect-concurrency-limiter/core/limit/autoDefaults"
import { Limit } from "effect-concurrency-limiter"
import type { Curve } from "../../test/utils/limitSimulation.js"
import { bestRate, simulate } from "../../test/utils/limitSimulation.js"

const seedArg = process.argv.indexOf("--seed")
const seed = seedArg === -1 ? 1 : Number(process.argv[seedArg + 1])
if (!Number.isSafeInteger(seed)) throw new Error("--seed: an integer")

const noLoadMillis = 20
/** Calls before the first window: the limit filling, and the M/M/c queue settling. */
const warmUp = 1_000

interface Call {
  readonly granted: number
  readonly rtt: number
  readonly load: number
}

/** Every call of a run at a fixed `limit`, in the order of their grants. */
const callsAt = (curve: Curve, knee: number, limit: number): ReadonlyArray<Call> => {
  const calls: Array<Call> = []
  const fixed = Limit.fixed(limit)
  simulate({
    limit: {
      ...fixed,
      update: (state, sample) => {
        calls.push({ granted: sample.endMillis - sample.rttMillis, rtt: sample.rttMillis, load: sample.inflight })
        return state
      }
    },
    curve,
    phases: [{ knee, seconds: 300 }],
    noLoadMillis,
    seed
  })
  return calls.sort((a, b) => a.granted - b.granted)
}

const mean = (xs: ReadonlyArray<number>): number => xs.reduce((sum, x) => sum + x, 0) / xs.length

interface Row {
  readonly windows: number
  readonly rate: number
  readonly spread: number
  readonly stated: number
}

/** The windows of `size` calls: their mean throughput, its spread, and the error they state. */
const windowsOf = (calls: ReadonlyArray<Call>, size: number): Row => {
  const rates: Array<number> = []
  const stated: Array<number> = []
  for (let start = warmUp; start + size <= calls.length; start += size) {
    const window = calls.slice(start, start + size)
    const latency = mean(window.map((c) => c.rtt))
    const variance = mean(window.map((c) => (c.rtt - latency) ** 2))
    rates.push(mean(window.map((c) => c.load)) / latency)
    stated.push(Math.sqrt(variance / size) / latency)
  }
  const rate = mean(rates)
  return {
    windows: rates.length,
    rate,
    spread: Math.sqrt(mean(rates.map((r) => (r - rate) ** 2))) / rate,
    stated: mean(stated)
  }
}

/** The fewest calls `Limit.auto` judges a window by throughput on, and a longer window. */
const sizes = [defaults.windowSamplesSlow, 300]
const cases: ReadonlyArray<readonly [Curve, number]> = [["mmc", 3], ["mmc", 6], ["mmc", 20], ["linear", 6], ["pipelining", 6]]
const pct = (x: number) => `${(x * 100).toFixed(1)} %`

console.log(`Seed ${seed}; windows of ${sizes[0]} calls (the fewest \`Limit.auto\` judges by throughput) and of ${sizes[1]}.\n`)
console.log("| curve | knee | limit | calls in a window | windows | throughput ÷ the best | spread of the windows' throughput | error they state | spread ÷ stated |")
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for (const [curve, knee] of cases) {
  const best = bestRate(curve, knee, noLoadMillis) / 1_000
  const limits = [...new Set([Math.max(1, Math.round(knee * 2 / 3)), knee, Math.round(knee * 1.5), 2 * knee])]
  for (const limit of limits) {
    const calls = callsAt(curve, knee, limit)
    for (const size of sizes) {
      const row = windowsOf(calls, size)
      console.log(
        `| ${curve} | ${knee} | ${limit} | ${size} | ${row.windows} | ${(row.rate / best).toFixed(3)} | ${pct(row.spread)} | ${pct(row.stated)} | ${(row.spread / row.stated).toFixed(2)} |`
      )
    }
  }
}
