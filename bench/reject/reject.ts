/**
 * `npm run bench:reject`: what a 503 costs the server.
 *
 * A real `NodeHttpServer` (`bench/reject/server.ts`, built to plain JS) holds
 * its only `Held` permit for good, so every request to `/busy` queues and is
 * refused with a 503 when the limiter's timeout passes. N closed-loop
 * clients (each its own connection, no think time) keep N requests queued;
 * the server's CPU (utime + stime from /proc) over the window, divided by the
 * 503s it answered, is the CPU per rejected request, net of what the
 * server burns idle (measured for 3 s before every window: at 100 refusals
 * a second, an idle server's timers and GC would otherwise add ~0.1–0.3 ms
 * to each). The same N clients on
 * two unguarded routes give the yardsticks: `/ok`, the CPU of a trivial 200
 * (what the HTTP layer alone costs), and `/parked`, a request that sleeps
 * for the timeout and then fails with the same `BusyError` (the floor of a
 * refused request, whatever limiter refuses it).
 *
 * With `--baseline REF` a second server is built from the library's `src/`
 * at that git revision, and both run side by side in one invocation,
 * alternating order every round, so that the before/after ratio is measured
 * on the same machine at the same time. Medians over the rounds.
 *
 * Options: --clients 100,1000  --seconds 10  --rounds 3  --timeout-ms 1000
 *          --baseline <git rev>  --unpinned  --yardsticks false (the /busy route alone, e.g. to profile it)
 *          --cpu-prof <dir> (each server writes a V8 CPU profile there when it stops;
 *                            summarise one with `tsx bench/shared/profile-summary.ts <file>`)
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { parseArgs } from "node:util"
import { Pool } from "undici"
import { buildServer } from "../shared/build.js"
import { median, percentile } from "../load/aggregate.js"
import { assertLoopback } from "../load/runner.js"
import { readCpuSeconds } from "../shared/procstat.js"
import { pinGenerator, serverCpus } from "../shared/pin.js"
import { freePort, type ServerHandle, startServer } from "../shared/server.js"

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "100,1000" },
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    "timeout-ms": { type: "string", default: "1000" },
    baseline: { type: "string" },
    yardsticks: { type: "string", default: "true" },
    "cpu-prof": { type: "string" },
    unpinned: { type: "boolean", default: false }
  }
})

const clientCounts = args.clients.split(",").map(Number)
const seconds = Number(args.seconds)
const rounds = Number(args.rounds)
const timeoutMs = Number(args["timeout-ms"])
for (const [name, value] of [["seconds", seconds], ["rounds", rounds], ["timeout-ms", timeoutMs]] as const) {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`--${name}: expected a positive number, got ${value}`)
}
if (clientCounts.some((n) => !(Number.isSafeInteger(n) && n > 0 && n <= 5000))) {
  throw new Error(`--clients: expected positive integers up to 5000, got ${args.clients}`)
}

const pinned = pinGenerator(args.unpinned)
const yardsticks = args.yardsticks !== "false"

const none: Window = {
  responses: 0,
  unexpected: 0,
  cpuMsPerResponse: Number.NaN,
  p50: Number.NaN,
  p99: Number.NaN,
  max: Number.NaN
}

interface Window {
  readonly responses: number
  readonly unexpected: number
  readonly cpuMsPerResponse: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/**
 * `clients` closed loops on `route` for `ms`; counts the responses with
 * status `expected` and the server's CPU over the same window. Bounded: every
 * loop stops at the deadline, and a request cannot outlive the timeout below.
 */
const load = async (server: ServerHandle, route: string, expected: number, clients: number, ms: number): Promise<Window> => {
  const idleCpuPerMs = await idleCpu(server)
  const origin = assertLoopback(server.baseUrl).origin
  const pool = new Pool(origin, { connections: clients, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 })
  const latencies: Array<number> = []
  let unexpected = 0
  const noteUnexpected = (kind: string) => {
    unexpected++
    unexpectedKinds.set(kind, (unexpectedKinds.get(kind) ?? 0) + 1)
  }
  const cpu0 = readCpuSeconds(server.pid)
  const t0 = performance.now()
  const deadline = t0 + ms
  const loop = async () => {
    while (performance.now() < deadline) {
      const started = performance.now()
      try {
        const response = await pool.request({ path: route, method: "GET", signal: AbortSignal.timeout(timeoutMs * 5) })
        await response.body.arrayBuffer()
        if (response.statusCode === expected) latencies.push(performance.now() - started)
        else noteUnexpected(`HTTP ${response.statusCode}`)
      } catch (error) {
        noteUnexpected(String((error as { code?: unknown }).code ?? (error as Error).name))
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, loop))
  const cpuMs = (readCpuSeconds(server.pid) - cpu0) * 1000 - idleCpuPerMs * (performance.now() - t0)
  await pool.destroy()
  latencies.sort((a, b) => a - b)
  return {
    responses: latencies.length,
    unexpected,
    cpuMsPerResponse: cpuMs / latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN
  }
}

/** The server's CPU ms per ms while it serves nothing, over 3 s. */
const idleCpu = async (server: ServerHandle): Promise<number> => {
  const cpu0 = readCpuSeconds(server.pid)
  const t0 = performance.now()
  await new Promise((resolve) => setTimeout(resolve, 3000))
  return ((readCpuSeconds(server.pid) - cpu0) * 1000) / (performance.now() - t0)
}

/** The library's `src/` at `rev`, extracted under .bench-out for the baseline build. */
const checkoutSrc = (rev: string): string => {
  const dir = path.resolve(".bench-out/reject-baseline", rev.replace(/[^\w.-]/g, "_"))
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const archive = execFileSync("git", ["archive", "--format=tar", rev, "src"], { maxBuffer: 1 << 28 })
  execFileSync("tar", ["-x", "-C", dir], { input: archive })
  return path.join(path.relative(process.cwd(), dir), "src")
}

const cpuProfDir = args["cpu-prof"] === undefined ? undefined : path.resolve(args["cpu-prof"])

const start = async (entry: string, name: string): Promise<ServerHandle> =>
  startServer({
    entry,
    port: await freePort(),
    env: { TIMEOUT_MS: String(timeoutMs), NODE_OPTIONS: undefined },
    ...(cpuProfDir === undefined
      ? {}
      : { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${path.join(cpuProfDir, name.replace(/[^\w.-]+/g, "_"))}`] }),
    ...(pinned ? { cpus: serverCpus } : {}),
    readyPath: "/ok",
    readyTimeoutMs: 60_000
  })

/** What the unexpected responses were, over the whole run. */
const unexpectedKinds = new Map<string, number>()

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–")

const main = async () => {
  const variants: Array<{ name: string; entry: string }> = []
  if (args.baseline !== undefined) {
    const src = checkoutSrc(args.baseline)
    const { entry } = await buildServer(".bench-out/build-reject-baseline", "bench/reject/server.ts", src)
    variants.push({ name: `before (${args.baseline})`, entry })
  }
  const { entry } = await buildServer(".bench-out/build-reject", "bench/reject/server.ts")
  variants.push({ name: args.baseline === undefined ? "this tree" : "after (this tree)", entry })

  const servers = await Promise.all(variants.map((v) => start(v.entry, v.name)))
  try {
    // JIT warm-up of both routes before anything is measured.
    for (const server of servers) {
      await load(server, "/ok", 200, 50, 2000)
      await load(server, "/busy", 503, 200, timeoutMs * 2)
    }
    console.log(pinned ? "pinning: servers on CPU 1, clients on CPU 0 (taskset)" : "pinning: none")
    console.log(`limiter timeout ${timeoutMs} ms; ${seconds} s per window; ${rounds} rounds, order alternating\n`)
    const results = new Map<string, Array<Window>>()
    const keep = (key: string, w: Window) => results.set(key, [...(results.get(key) ?? []), w])
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? servers.map((_, i) => i) : servers.map((_, i) => i).reverse()
      for (const clients of clientCounts) {
        for (const i of order) {
          const busy = await load(servers[i]!, "/busy", 503, clients, seconds * 1000)
          keep(`${variants[i]!.name}|${clients}|503`, busy)
          const ok = yardsticks ? await load(servers[i]!, "/ok", 200, clients, seconds * 1000) : none
          keep(`${variants[i]!.name}|${clients}|200`, ok)
          const parked = yardsticks ? await load(servers[i]!, "/parked", 503, clients, seconds * 1000) : none
          keep(`${variants[i]!.name}|${clients}|parked`, parked)
          console.log(
            `round ${round}, ${variants[i]!.name}, N=${clients}: ${fmt(busy.cpuMsPerResponse, 3)} ms CPU per 503 ` +
              `(${busy.responses} 503s), ${fmt(ok.cpuMsPerResponse, 3)} ms per 200, ` +
              `${fmt(parked.cpuMsPerResponse, 3)} ms per parked 503` +
              (busy.unexpected + ok.unexpected + parked.unexpected > 0
                ? `, ${busy.unexpected + ok.unexpected + parked.unexpected} unexpected`
                : "")
          )
        }
      }
    }
    console.log(
      "\n| server | N | 503/s | CPU per 503, net of idle (ms) | 503 p50 / p99 / max (ms) | CPU per 200, `/ok` (ms) | " +
        "CPU per parked 503, `/parked` (ms) | 503 ÷ 200 | 503 ÷ parked | unexpected |"
    )
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    const perVariant = new Map<string, number>()
    for (const clients of clientCounts) {
      for (const v of variants) {
        const busy = results.get(`${v.name}|${clients}|503`)!
        const ok = results.get(`${v.name}|${clients}|200`)!
        const parked = results.get(`${v.name}|${clients}|parked`)!
        const m = (ws: Array<Window>, f: (w: Window) => number) => median(ws.map(f))
        const cpu503 = m(busy, (w) => w.cpuMsPerResponse)
        const cpu200 = m(ok, (w) => w.cpuMsPerResponse)
        const cpuParked = m(parked, (w) => w.cpuMsPerResponse)
        perVariant.set(`${v.name}|${clients}`, cpu503)
        console.log(
          `| ${v.name} | ${clients} | ${fmt(m(busy, (w) => w.responses) / seconds)} | ${fmt(cpu503, 3)} | ` +
            `${fmt(m(busy, (w) => w.p50))} / ${fmt(m(busy, (w) => w.p99))} / ${fmt(Math.max(...busy.map((w) => w.max)))} | ` +
            `${fmt(cpu200, 3)} | ${fmt(cpuParked, 3)} | ${fmt(cpu503 / cpu200, 2)} | ${fmt(cpu503 / cpuParked, 2)} | ` +
            `${[...busy, ...ok, ...parked].reduce((s, w) => s + w.unexpected, 0)} |`
        )
      }
    }
    if (unexpectedKinds.size > 0) {
      console.log(`\nunexpected: ${[...unexpectedKinds].map(([kind, n]) => `${kind} × ${n}`).join(", ")}`)
    }
    if (variants.length === 2) {
      console.log("")
      for (const clients of clientCounts) {
        const before = perVariant.get(`${variants[0]!.name}|${clients}`)!
        const after = perVariant.get(`${variants[1]!.name}|${clients}`)!
        console.log(`N=${clients}: CPU per 503, before ÷ after = ${fmt(before / after, 2)}× (target ≥ 2×)`)
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

await main()
