/**
 * One run of the overload benchmark: a server started for it (one mode, one
 * peak, one build or line), the preset's load against it, the process and
 * capacity samplers beside it; then its CSVs, chart, criteria and figures,
 * printed and returned as a `RunReport`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { pathToFileURL } from "node:url"
import { evaluate, targetsFor } from "../load/acceptance.js"
import { type CapacitySample, sampleCapacity } from "../load/capacity.js"
import { secondsToCsv, toCsv } from "../load/csv.js"
import { preset } from "../load/presets.js"
import { runLoad } from "../load/runner.js"
import { serverFigures, serverFiguresLine, type ServerSecond, serverSecondsFromProbe } from "../load/server-seconds.js"
import { spikeCost } from "../load/spike-cost.js"
import { startSampler } from "../shared/procstat.js"
import { freePort, startServer } from "../shared/server.js"
import { writeChart } from "./chart.js"
import type { Environment } from "./environment.js"
import { fileP99WorstSecond, messagesFigures, runQueueWait } from "./figures.js"
import { idSuffix, type Server } from "./lines.js"
import { liveHeader, liveLine } from "./live.js"
import { limitingOf, type Mode, modeEnv } from "./modes.js"
import type { Options } from "./options.js"
import type { Database } from "./pg.js"
import { label, type RunReport } from "./report.js"

/** What every run of an invocation shares. */
export interface Setup {
  readonly options: Options
  readonly env: Environment
  /** The probe preload, built to plain JS (the `--tsx` server loads the TypeScript). */
  readonly probeModule: string
}

/**
 * The server's settings, identical in every mode except `LIMITER_ENABLED`,
 * the queue bounds and `Db`'s capacity (`modes.ts`).
 */
const serverEnv = (options: Options, db: Database | undefined, mode: Mode, dbCapacity: number): Record<string, string | undefined> => ({
  ...modeEnv(mode, { db: dbCapacity, fs: options.fsConcurrency }, options.algorithm),
  LIMITER_TIMEOUT: "2 seconds",
  FS_CONCURRENCY: String(options.fsConcurrency),
  DATABASE_URL: db?.url,
  DB_POOL_SIZE: db === undefined ? undefined : "100",
  SEED_ROWS: db === undefined ? undefined : String(options.seedRows),
  NODE_OPTIONS: options.nodeOptions === "" ? undefined : options.nodeOptions
})

/** Runs `mode` at `peak` against `served` (as `with` at `Db` = `sweepCapacity` when given). */
export const runOnce = async (
  setup: Setup,
  mode: Mode,
  peak: number,
  pass: number,
  served: Server,
  sweepCapacity?: number
): Promise<RunReport> => {
  const { options, probeModule } = setup
  const { args, clientTimeoutMs, database, dbConcurrency, limiterTimeoutMs, outDir, passes, presetName } = options
  const { db, pinned, serverCpus } = setup.env
  const { build, line } = served
  const id = `${database}-${mode}-${peak}${sweepCapacity === undefined ? "" : `-db${sweepCapacity}`}${idSuffix(served)}`
  // The last pass is the published one; earlier passes keep their files out of docs/.
  const runDir = pass === passes ? outDir : path.resolve(".bench-out", `pass-${pass}`, path.relative(process.cwd(), outDir))
  const p = preset(presetName, peak, Number(args.scale))
  const port = await freePort()
  const labelled = { database, mode, peak, pinned, build, line }
  console.log(
    `\n## Pass ${pass}/${passes}: ${label(labelled)}${sweepCapacity === undefined ? "" : `, Db fixed at ${sweepCapacity}`} (${p.durationMs / 1000} s, server on port ${port})`
  )
  const probeFile = path.resolve(".bench-out", "probe", `${id}-pass${pass}.jsonl`)
  fs.mkdirSync(path.dirname(probeFile), { recursive: true })
  fs.rmSync(probeFile, { force: true })
  const server = await startServer({
    entry: served.entry,
    node: served.node,
    ...(serverCpus === undefined ? {} : { cpus: serverCpus }),
    port,
    env: { ...serverEnv(options, db, mode, sweepCapacity ?? dbConcurrency), PROBE_FILE: probeFile },
    nodeFlags: [
      ...(args["node-flags"]?.split(/\s+/).filter((x) => x !== "") ?? []),
      ...(args["cpu-prof"] === undefined
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(args["cpu-prof"], `${id}-pass${pass}`)}`]),
      "--import",
      pathToFileURL(probeModule).href
    ],
    readyPath: "/file",
    // The embedded database loads its rows at start-up.
    readyTimeoutMs: 180_000
  })
  const sampler = startSampler(server.pid, db?.postmasterPid)
  const capacitySampler = limitingOf(mode) ? sampleCapacity(server.baseUrl, "Db") : undefined
  if (!args.quiet) console.log(liveHeader)
  let result: Awaited<ReturnType<typeof runLoad>>
  let processStats: ReturnType<ReturnType<typeof startSampler>["stop"]>
  let capacity: ReadonlyArray<CapacitySample> = []
  // The load starts on a whole wall-clock second, the probe's clock: its
  // lines then describe the run's own seconds.
  await sleep(1000 - (Date.now() % 1000))
  const wallSecond0 = Math.round(Date.now() / 1000)
  try {
    result = await runLoad({
      baseUrl: server.baseUrl,
      scenarios: p.scenarios,
      timeoutMs: clientTimeoutMs,
      honourRetryAfter: args["retry-after"],
      onSecond: (rows) => {
        if (!args.quiet) console.log(liveLine(rows, sampler.latest()))
      }
    })
    // The probe writes each second's line just after it ends: wait for the last one.
    await sleep(1100)
  } finally {
    // Stop sampling before the server exits, so VmHWM is still readable.
    processStats = sampler.stop()
    capacity = capacitySampler?.stop() ?? []
    await server.stop()
    // The server's last lines (errors behind any 500s), kept out of docs/.
    fs.mkdirSync(".bench-out", { recursive: true })
    fs.writeFileSync(path.join(".bench-out", `${id}-server.log`), server.logTail(5000) + "\n")
  }
  const { checks, figures } = evaluate({
    rows: result.rows,
    latencies: result.latencies,
    spike: p.spike,
    limiterTimeoutMs,
    targets: targetsFor(peak, pinned),
    serverPeakRssMb: processStats.summary.serverPeakRssMb
  })
  fs.mkdirSync(runDir, { recursive: true })
  const csv = path.join(runDir, `${id}.csv`)
  const chart = path.join(runDir, `${id}.svg`)
  const runSeconds = result.rows.length === 0 ? 0 : result.rows[result.rows.length - 1]!.t + 1
  const serverSeconds: ReadonlyArray<ServerSecond> = fs.existsSync(probeFile)
    ? serverSecondsFromProbe(fs.readFileSync(probeFile, "utf8"), wallSecond0, runSeconds)
    : []
  const serverLoop = serverFigures(serverSeconds, p.spike, limiterTimeoutMs)
  fs.writeFileSync(csv, secondsToCsv(result.rows, serverSeconds))
  fs.writeFileSync(
    path.join(runDir, `${id}-process.csv`),
    toCsv(
      [
        "t",
        "serverRssMb",
        "serverCpuPct",
        "dbCpuPct",
        "generatorCpuPct",
        "machineCpuPct",
        "generatorLoopP99Ms",
        "serverMainRunMs",
        "serverMainWaitMs",
        "serverMainPreemptions"
      ],
      processStats.samples as unknown as ReadonlyArray<Record<string, number>>
    )
  )
  if (capacity.length > 0) {
    fs.writeFileSync(
      path.join(runDir, `${id}-capacity.csv`),
      toCsv(["t", "capacity"], capacity as unknown as ReadonlyArray<Record<string, number>>)
    )
  }
  await writeChart(chart, result.rows, `${label(labelled)} — ${p.durationMs / 1000} s`, capacity, serverSeconds)
  const messages = messagesFigures(result, p.spike, capacity, limiterTimeoutMs)
  console.log(
    `/messages 2xx/s before ${messages.okPerSecond.before}, spike ${messages.okPerSecond.spike}, after ${messages.okPerSecond.after}; ` +
      `2xx p50 ${messages.okP50Ms.toFixed(0)} ms, p99 ${messages.okP99Ms.toFixed(0)} ms` +
      (capacity.length === 0
        ? ""
        : `; Db capacity median before ${messages.capacity.before}, spike ${messages.capacity.spike}, after ${messages.capacity.after} (${messages.capacity.min}–${messages.capacity.max})`)
  )
  const total = result.rows.reduce((a, r) => a + r.requests, 0)
  const fileP99WorstSecondMs = fileP99WorstSecond(result.rows, p.spike, limiterTimeoutMs)
  const starved = runQueueWait(processStats.samples, p.spike, limiterTimeoutMs)
  console.log(`/file p99 worst spike second ${fileP99WorstSecondMs.toFixed(0)} ms; ${serverFiguresLine(serverLoop)}`)
  console.log(
    `server main thread waiting for a CPU per spike second: median ${starved.medianMs.toFixed(0)} ms, worst ${starved.worstMs.toFixed(0)} ms ` +
      `(on a CPU: median ${starved.runMedianMs.toFixed(0)} ms; preempted ${starved.preemptionsMedian.toFixed(0)} times per second, median)`
  )
  for (const c of checks) console.log(`${c.pass ? "PASS" : "FAIL"}  ${c.criterion}: ${c.value}`)
  if (Object.keys(result.errorKinds).length > 0) console.log(`other errors: ${JSON.stringify(result.errorKinds)}`)
  const s = processStats.summary
  const cost = spikeCost({ rows: result.rows, samples: processStats.samples, spike: p.spike, limiterTimeoutMs })
  console.log(
    `server CPU mean ${s.serverMeanCpuPct.toFixed(0)} % (max ${s.serverMaxCpuPct.toFixed(0)} %), database CPU mean ${s.dbMeanCpuPct.toFixed(0)} %, machine CPU mean ${s.machineMeanCpuPct.toFixed(0)} %, ` +
      `generator CPU mean ${s.generatorMeanCpuPct.toFixed(0)} % (max ${s.generatorMaxCpuPct.toFixed(0)} %), ` +
      `generator event-loop p99 max ${s.generatorLoopMaxP99Ms.toFixed(0)} ms, ${total} requests`
  )
  return {
    id,
    database,
    mode,
    limiting: limitingOf(mode),
    peak,
    pinned,
    pass,
    figures,
    checks,
    process: s,
    generatorRps: total / (result.durationMs / 1000),
    chart: path.relative(process.cwd(), chart),
    csv: path.relative(process.cwd(), csv),
    errorKinds: result.errorKinds,
    spikeCost: cost,
    messages,
    sweep: sweepCapacity,
    server: serverLoop,
    fileP99WorstSecondMs,
    build,
    line,
    starved
  }
}
