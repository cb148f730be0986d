/**
 * A burst of expiring deadlines against an unrelated endpoint: N requests
 * parked in a guard, the server stalled over their deadlines (as a long GC
 * pause or a starved process would), so that all N are due at once when it
 * runs again. Measures how far the slowest `/ok`, asked in a loop beside
 * them, exceeds the stall — what writing the burst's 503s costs an
 * unrelated request — and when the last 503 arrives after the stall: the
 * time to write all N, about 10 µs each. The stall lasts as long as the
 * intake spread the deadlines, which varies from run to run. Each measurement is a fresh `node` process
 * (`expiry-burst-run.ts`, built to plain JS with esbuild as the benchmark's
 * server is).
 *
 *   npm run bench:expiry-burst                           # N = 1,000, 3 runs
 *   npm run bench:expiry-burst -- --n 2000 --runs 5
 *   npm run bench:expiry-burst -- --baseline main        # also the library at a git ref, alternated
 */
import { execFileSync } from "node:child_process"
import { parseArgs } from "node:util"
import { buildsWithBaseline } from "../overload/baseline.js"
import { median } from "../load/aggregate.js"

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    baseline: { type: "string" }
  }
})
const n = Number.parseInt(args.n, 10)
const runs = Number.parseInt(args.runs, 10)
if (!(n >= 10 && n <= 8000)) throw new Error(`--n must be 10 to 8000, got ${args.n}`)
if (!(runs >= 1 && runs <= 20)) throw new Error(`--runs must be 1 to 20, got ${args.runs}`)

const builds = await buildsWithBaseline("expiry-burst", "bench/memory/expiry-burst-run.ts", args.baseline)

interface Result {
  readonly stallMs: number
  readonly okMaxBeyondStallMs: number
  readonly last503AfterStallMs: number
}
const results = new Map<string, Array<Result>>()
for (let run = 0; run < runs; run++) {
  for (const build of run % 2 === 0 ? builds : [...builds].reverse()) {
    const out = execFileSync(process.execPath, [build.entry, String(n)], { encoding: "utf8" })
    const result = JSON.parse(out.trim().split("\n").pop()!) as Result
    results.set(build.name, [...(results.get(build.name) ?? []), result])
    console.log(`${build.name}: ${JSON.stringify(result)}`)
  }
}

const f0 = (x: number) => x.toFixed(0)
console.log(`\n${n.toLocaleString("en-US")} requests parked, timeout 3 s, all due at once after a stall; median of ${runs} run(s) (node ${process.version})\n`)
console.log("| Library | stall (ms) | `/ok` slowest beyond the stall (ms) | last 503 after the stall (ms) |")
console.log("|---|---|---|---|")
for (const build of builds) {
  const mine = results.get(build.name) ?? []
  const m = (f: (r: Result) => number) => median(mine.map(f))
  console.log(
    `| ${build.name} | ${f0(m((r) => r.stallMs))} | ${f0(m((r) => r.okMaxBeyondStallMs))} | ${f0(m((r) => r.last503AfterStallMs))} |`
  )
}
