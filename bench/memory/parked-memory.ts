/**
 * Bytes per parked request: the heap a request waiting in the limiter's
 * queue retains, against a bare parked fiber (Effect's own floor), and the
 * same for whole HTTP requests parked in an `@effect/platform-node` server,
 * with and without a guard; each measured in a fresh `node --expose-gc`
 * process (`parked-memory-run.ts`, built to plain JS with esbuild as the
 * benchmark's server is).
 *
 *   npm run bench:parked-memory                         # N = 10,000 fibers, 2,000 HTTP requests, 3 runs each
 *   npm run bench:parked-memory -- --n 20000 --http-n 4000 --runs 5
 *   npm run bench:parked-memory -- --baseline main      # also the library at a git ref, alternated
 *
 * With `--baseline`, the measurement is built a second time against the
 * library's `src/` at that ref, and the runs alternate between the builds,
 * so a before/after comes from one run. Medians over the runs.
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { buildsWithBaseline } from "../overload/baseline.js"
import { median } from "../load/aggregate.js"

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    "http-n": { type: "string", default: "2000" },
    runs: { type: "string", default: "3" },
    baseline: { type: "string" }
  }
})
const n = Number.parseInt(args.n, 10)
const runs = Number.parseInt(args.runs, 10)
if (!(n >= 100)) throw new Error(`--n must be at least 100, got ${args.n}`)
const httpN = Number.parseInt(args["http-n"], 10)
// Each request is two sockets (the client's and the server's), within a usual 20,000-descriptor limit.
if (!(httpN >= 100 && httpN <= 8000)) throw new Error(`--http-n must be 100 to 8000, got ${args["http-n"]}`)
if (!(runs >= 1 && runs <= 20)) throw new Error(`--runs must be 1 to 20, got ${args.runs}`)

const builds = await buildsWithBaseline("parked-memory", "bench/memory/parked-memory-run.ts", args.baseline)

const variants = ["fiber", "guard", "node-http", "http-bare", "http"] as const
const results = new Map<string, Array<number>>()
for (let run = 0; run < runs; run++) {
  for (const build of run % 2 === 0 ? builds : [...builds].reverse()) {
    for (const variant of variants) {
      const count = variant.includes("http") ? httpN : n
      const out = execFileSync(process.execPath, ["--expose-gc", build.entry, variant, String(count)], { encoding: "utf8" })
      const { bytesPerParked } = JSON.parse(out.trim().split("\n").pop()!) as { bytesPerParked: number }
      const key = `${build.name}\u0000${variant}`
      results.set(key, [...(results.get(key) ?? []), bytesPerParked])
    }
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US")
console.log(
  `\nBytes of heap retained per parked request (N = ${n.toLocaleString("en-US")} fibers, ${httpN.toLocaleString("en-US")} HTTP requests), median of ${runs} run(s)`
)
console.log(`(node ${process.version}, --expose-gc, two full GCs before each reading; ${path.basename(process.cwd())})\n`)
console.log(
  "| Library | bare parked fiber | fiber parked in a guard | the guard's share | plain node:http request in flight | @effect/platform-node request in flight, no guard | the same, parked in a guard | the guard's share |"
)
console.log("|---|---|---|---|---|---|---|---|")
for (const build of builds) {
  const of = (variant: string) => median(results.get(`${build.name}\u0000${variant}`) ?? [])
  const [fiber, guard, node, bare, http] = [of("fiber"), of("guard"), of("node-http"), of("http-bare"), of("http")]
  console.log(
    `| ${build.name} | ${fmt(fiber)} | ${fmt(guard)} | ${fmt(guard - fiber)} | ${fmt(node)} | ${fmt(bare)} | ${fmt(http)} | ${fmt(http - bare)} |`
  )
}
