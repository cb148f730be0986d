/**
 * `npm run bench:overhead`: what a guard costs on a trivial route.
 *
 * Three servers (child processes, the same file, `GUARDED=false|true|adaptive`)
 * are loaded in turn by autocannon with 100 connections; the order rotates
 * every round (U G A, G A U, A U G, ...) so drift on a shared machine hits
 * them alike. Prints requests/s per run and the medians of the per-round
 * ratios guarded / unguarded (target ≥ 0.95) and adaptive / guarded, the
 * adaptive path's cost against a fixed capacity (target ≥ 0.9). On a shared machine a single run
 * swings by ±15 %, so read the median, and compare runs of several
 * invocations. Where `taskset` works, the servers
 * run on CPU 1 and autocannon (this process) on CPU 0, so the generator and
 * the server under test do not trade places on the cores mid-run.
 *
 * Options: --rounds 7  --seconds 10  --connections 100  --unpinned
 */
import autocannon from "autocannon"
import { parseArgs } from "node:util"
import { median } from "../load/aggregate.js"
import { buildServer } from "../shared/build.js"
import { assertLoopback } from "../load/runner.js"
import { pinGenerator, serverCpus } from "../shared/pin.js"
import { freePort, type ServerHandle, startServer } from "../shared/server.js"

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "100" },
    warmup: { type: "string", default: "3" },
    unpinned: { type: "boolean", default: false }
  }
})

const pinned = pinGenerator(args.unpinned)
const rounds = Number(args.rounds)
const seconds = Number(args.seconds)
const connections = Number(args.connections)

/** Loads `server` with autocannon; returns its mean requests/s and the count of non-2xx/errors/timeouts. */
const load = async (server: ServerHandle, duration: number) => {
  assertLoopback(server.baseUrl)
  const result = await autocannon({ url: server.baseUrl, connections, duration, pipelining: 1 })
  return { rps: result.requests.average, non2xx: result.non2xx + result.errors + result.timeouts }
}

const start = async (entry: string, guarded: "false" | "true" | "adaptive"): Promise<ServerHandle> =>
  startServer({
    entry,
    port: await freePort(),
    env: { GUARDED: guarded, NODE_OPTIONS: undefined },
    ...(pinned ? { cpus: serverCpus } : {}),
    readyPath: "/",
    readyTimeoutMs: 60_000
  })

const main = async () => {
  // Plain JavaScript under node, as the overload benchmark's server runs.
  const { entry } = await buildServer(".bench-out/build-overhead", "bench/overhead/server.ts")
  const servers = {
    unguarded: await start(entry, "false"),
    guarded: await start(entry, "true"),
    adaptive: await start(entry, "adaptive")
  }
  const names = ["unguarded", "guarded", "adaptive"] as const
  const letter = { unguarded: "U", guarded: "G", adaptive: "A" } as const
  try {
    // Warm them up (JIT, connection setup) before anything is measured.
    for (const s of Object.values(servers)) await load(s, Number(args.warmup))
    const ratios: Array<number> = []
    const adaptiveRatios: Array<number> = []
    console.log(pinned ? "pinning: servers on CPU 1, autocannon on CPU 0 (taskset)" : "pinning: none")
    console.log(`round | order | unguarded req/s | guarded req/s | adaptive req/s | G/U   | A/G   (${connections} connections, ${seconds} s each)`)
    for (let round = 1; round <= rounds; round++) {
      const order = names.map((_, i) => names[(i + round - 1) % names.length]!)
      const rps: Record<string, number> = {}
      for (const name of order) {
        const r = await load(servers[name], seconds)
        if (r.non2xx > 0) console.warn(`warning: ${name} had ${r.non2xx} non-2xx/errors/timeouts`)
        rps[name] = r.rps
      }
      const ratio = rps.guarded! / rps.unguarded!
      const adaptiveRatio = rps.adaptive! / rps.guarded!
      ratios.push(ratio)
      adaptiveRatios.push(adaptiveRatio)
      console.log(
        `${String(round).padStart(5)} | ${order.map((n) => letter[n]).join("")}   | ${rps.unguarded!.toFixed(0).padStart(15)} | ${rps.guarded!.toFixed(0).padStart(13)} | ${rps.adaptive!.toFixed(0).padStart(14)} | ${ratio.toFixed(3)} | ${adaptiveRatio.toFixed(3)}`
      )
    }
    const m = median(ratios)
    const a = median(adaptiveRatios)
    console.log(`\nguarded / unguarded requests/s: median ${m.toFixed(3)} over ${rounds} rotated rounds (target ≥ 0.95: ${m >= 0.95 ? "PASS" : "FAIL"})`)
    console.log(`adaptive / guarded requests/s: median ${a.toFixed(3)} (target ≥ 0.9: ${a >= 0.9 ? "PASS" : "FAIL"})`)
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
  }
}

await main()
