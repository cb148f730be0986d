/**
 * Runs a soak (issue 13): the overload demo's spike (`preset("demo", peak)`),
 * again and again against ONE server process — the example built to plain
 * JS, embedded database, limiter on with the example's defaults — while
 * sampling the server every second. After each spike's tail, with the load
 * stopped, the probe forces a full GC and reports the heap left: the same
 * phase every time, so the first spike's figure and the last's compare.
 *
 * `bench/soak/main.ts` is the command; `test/soak.test.ts` runs a small one.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { pathToFileURL } from "node:url"
import { buildScript, buildServer } from "../shared/build.js"
import type { SecondRow } from "../load/aggregate.js"
import { runLoad } from "../load/runner.js"
import { preset } from "../load/presets.js"
import { type ProcessSummary, readRss, startSampler } from "../shared/procstat.js"
import { freePort, startServer } from "../shared/server.js"
import {
  buildTimeline,
  parseProbe,
  type SoakSecond,
  type SpikeRun,
  spikeStatuses,
  type SpikeSummary,
  summarizeSpikes
} from "./timeline.js"
import { judge, type Verdict } from "./verdict.js"

/** Options of {@link runSoak}. */
export interface SoakOptions {
  readonly spikes: number
  /** /messages VUs at the top of each spike (the demo's 600). */
  readonly peak: number
  /** Shortens every stage of the spike (smoke tests); 1 is the demo's minute. */
  readonly scale: number
  /** Where the build, the probe's file and the server's log go. */
  readonly workDir: string
  /** Rows of the embedded database (the example's default is 100,000). */
  readonly embeddedRows?: number
  /** The server's V8 old-space budget, MiB, as the overload benchmark's (0: V8's default). */
  readonly heapMb?: number
  /** The load generator's timeout per request; a request past it is a failure. */
  readonly clientTimeoutMs?: number
  /** Called with each second's load rows and its spike, for a live table. */
  readonly onSecond?: (spike: number, rows: ReadonlyArray<SecondRow>) => void
  readonly log?: (line: string) => void
}

/** What {@link runSoak} returns. */
export interface SoakResult {
  readonly timeline: ReadonlyArray<SoakSecond>
  readonly spikes: ReadonlyArray<SpikeRun>
  readonly table: ReadonlyArray<SpikeSummary>
  readonly verdict: Verdict
  /** Heap after a full GC before the first spike (informational: the verdict starts from spike 1). */
  readonly startHeapAfterGcMb: number
  /** Resident memory after the last spike's full GC, quiet: what the server keeps. */
  readonly settledRssMb: number
  readonly process: ProcessSummary
  /** Error kinds (`HTTP 500`, `ECONNRESET`, ...) by spike and endpoint. */
  readonly errorKinds: ReadonlyArray<RunResultErrors>
}

type RunResultErrors = Readonly<Record<string, Readonly<Record<string, number>>>>

/** The example's limiter defaults, set explicitly so the caller's environment cannot change them. */
const serverEnv = (probeFile: string, embeddedRows: number | undefined): Record<string, string | undefined> => ({
  LIMITER_ENABLED: "true",
  LIMITER_TIMEOUT: "5 seconds",
  DB_CONCURRENCY: "5",
  FS_CONCURRENCY: "10",
  DB_LIMIT: undefined,
  DB_MAX_WAITING: undefined,
  FS_MAX_WAITING: undefined,
  LIMITER_REDIS_URL: undefined,
  DATABASE_URL: undefined,
  DB_POOL_SIZE: undefined,
  EMBEDDED_ROWS: embeddedRows === undefined ? undefined : String(embeddedRows),
  NODE_OPTIONS: undefined,
  PROBE_FILE: probeFile
})

/**
 * Asks the probe for a full GC (SIGUSR2) and waits, bounded, for its answer:
 * the heap used after it, MiB, or NaN when none came.
 */
const forceFullGc = async (pid: number, probeFile: string, timeoutMs = 10_000): Promise<number> => {
  const askedAt = Date.now()
  process.kill(pid, "SIGUSR2")
  const deadline = askedAt + timeoutMs
  while (Date.now() < deadline) {
    await sleep(100)
    const answer = parseProbe(fs.readFileSync(probeFile, "utf8")).fullGcs.find((g) => g.at >= askedAt)
    if (answer !== undefined) return answer.heapUsedMb
  }
  return Number.NaN
}

/** Runs the soak and judges it. The server is stopped before this returns, whatever happens. */
export const runSoak = async (options: SoakOptions): Promise<SoakResult> => {
  const log = options.log ?? (() => {})
  const workDir = path.resolve(options.workDir)
  fs.mkdirSync(workDir, { recursive: true })
  const { entry } = await buildServer(path.join(workDir, "build"))
  const probe = await buildScript("bench/shared/probe.ts", path.join(workDir, "build", "probe.mjs"))
  const probeFile = path.join(workDir, "probe.jsonl")
  fs.rmSync(probeFile, { force: true })
  const heapMb = options.heapMb ?? 192
  const clientTimeoutMs = options.clientTimeoutMs ?? 10_000
  const shape = preset("demo", options.peak, options.scale)
  const server = await startServer({
    entry,
    port: await freePort(),
    env: serverEnv(probeFile, options.embeddedRows),
    nodeFlags: [
      "--expose-gc",
      ...(heapMb > 0 ? [`--max-old-space-size=${heapMb}`] : []),
      "--import",
      pathToFileURL(probe).href
    ],
    readyPath: "/file",
    // The embedded database loads its rows at start-up.
    readyTimeoutMs: 180_000
  })
  log(`server pid ${server.pid} on ${server.baseUrl}: ${path.relative(process.cwd(), entry)} under node, embedded database`)
  const t0 = performance.now()
  const wallT0 = Date.now()
  const sampler = startSampler(server.pid)
  const secondNow = () => Math.floor((performance.now() - t0) / 1000)
  const spikes: Array<SpikeRun> = []
  let startHeapAfterGcMb = Number.NaN
  let settledRssMb = Number.NaN
  let processStats: ReturnType<ReturnType<typeof startSampler>["stop"]>
  let seconds = 0
  try {
    await sleep(500)
    startHeapAfterGcMb = await forceFullGc(server.pid, probeFile)
    log(`heap after a full GC before spike 1: ${startHeapAfterGcMb.toFixed(1)} MiB`)
    for (let spike = 1; spike <= options.spikes; spike++) {
      const startMs = performance.now() - t0
      const startS = Math.round(startMs / 1000)
      const result = await runLoad({
        baseUrl: server.baseUrl,
        scenarios: shape.scenarios,
        timeoutMs: clientTimeoutMs,
        onSecond: (rows) => options.onSecond?.(spike, rows.map((r) => ({ ...r, t: startS + r.t })))
      })
      // The load has stopped and its connections are closed; let the server settle, then measure.
      await sleep(500)
      const heapAfterGcMb = await forceFullGc(server.pid, probeFile)
      settledRssMb = readRss(server.pid).rssMb
      const run: SpikeRun = {
        spike,
        startS,
        tailS: startS + Math.ceil(shape.spike.endMs / 1000),
        endS: startS + Math.ceil(result.durationMs / 1000),
        result,
        heapAfterGcMb,
        settledRssMb
      }
      spikes.push(run)
      const statuses = spikeStatuses(run)
      log(
        `spike ${spike}/${options.spikes} done: ${JSON.stringify(statuses)}; heap after full GC ${heapAfterGcMb.toFixed(1)} MiB, ` +
          `RSS ${settledRssMb.toFixed(0)} MiB`
      )
    }
    // The probe and the sampler write each second's figures just after it ends: wait for the last one's.
    seconds = secondNow()
    await sleep(1100)
  } finally {
    // Stop sampling before the server exits, so its VmHWM is still readable.
    processStats = sampler.stop()
    await server.stop()
    fs.writeFileSync(path.join(workDir, "server.log"), server.logTail(5000) + "\n")
  }
  const { fullGcs, seconds: probeSeconds } = parseProbe(fs.readFileSync(probeFile, "utf8"))
  const timeline = buildTimeline({
    seconds,
    wallT0,
    process: processStats.samples,
    probe: probeSeconds,
    fullGcs,
    spikes
  })
  return {
    timeline,
    spikes,
    table: summarizeSpikes(spikes, timeline),
    verdict: judge(spikes.map((s) => ({ spike: s.spike, statuses: spikeStatuses(s), heapAfterGcMb: s.heapAfterGcMb }))),
    startHeapAfterGcMb,
    settledRssMb,
    process: processStats.summary,
    errorKinds: spikes.map((s) => s.result.errorKinds)
  }
}
