/**
 * The overload benchmark (issue 4): a spike on /messages beside a steady
 * /file load, with and without limiting, runs alternated; optionally also
 * with limiting and a queue bound (`--modes with,bounded`).
 *
 *   npm run bench   # tsx bench/overload/main.ts            PostgreSQL, peaks 150 and 600, 151 s each
 *   npm run demo    # tsx bench/overload/main.ts --demo     embedded database, peak 600, 60 s each
 *
 * The server is the example app built to plain JavaScript (`../shared/build.ts`) and run
 * under `node`. On PostgreSQL, when the machine allows it, the throwaway
 * cluster is pinned to CPU 1 and the server and this process (the load
 * generator) to CPU 0, a stand-in for a database on its own host; parallel
 * query is off (`max_parallel_workers_per_gather = 0`). Both modes alike.
 *
 * Options: --peaks 150,600  --modes with,without  --db postgres|embedded
 *          (modes: with, without, bounded = with limiting, DB_MAX_WAITING and FS_MAX_WAITING at 2 × the
 *           capacities; a set with bounded is published apart: docs/bench/bounded, its own block in
 *           docs/benchmarks.md, and a side-by-side table of bounded against with)
 *          (adaptive = with limiting, Db's capacity an adaptive limit started at 100, --algorithm auto|gradient2|vegas|aimd
 *           (default gradient2); a set with adaptive is published apart: docs/bench/adaptive, its own block in
 *           docs/benchmarks.md, a side-by-side table of adaptive against with, and the Db capacity charted)
 *          --passes N (repeat the whole set N times; every pass is graded, the last one is charted)
 *          --db-sweep 3,8,12 (also run `with` at these fixed Db capacities in every pass, after the modes;
 *                             reported in a table of their own against adaptive: bench/overload/sweep.ts)
 *          --unpinned (no CPU pinning: database, server and generator share both cores,
 *                      as on a host that runs its own database; published in docs/bench/unpinned)
 *          --out <dir>  --quiet (no live table)  --scale 0.2 (shorter stages, smoke tests)
 *          --baseline <git-ref> (also build the server from the library's src/ at that ref, and run it
 *                                alternated with this checkout's in every pass: before/after from one run;
 *                                a side-by-side table; its runs' files are suffixed -baseline)
 *          --line effect3|effect4 (which Effect line's example app; default effect3)
 *          --lines effect3,effect4 (both, alternated in every pass, and a side-by-side table: lines.ts)
 *
 * The server runs with a probe (`../shared/probe.ts`, `--import`ed): its event-loop
 * delay (p50/p99/max) and GC pauses (count, total, longest, scavenges) per
 * second go beside each second's rows in the run's CSV and in a panel of
 * its chart.
 * Experiment options (the published runs use none of them):
 *          --parallel-workers N (PostgreSQL max_parallel_workers_per_gather; default 0)
 *          --tsx (run the server through tsx)
 *          --cpu-prof <dir> (the server writes a V8 CPU profile there when each run ends;
 *                            `tsx bench/shared/profile-summary.ts <file>` summarises it)
 *          --db-concurrency N (default 5)  --db-nice N (renice the throwaway cluster)  --node-options "<flags>" (the server's NODE_OPTIONS)
 *          --node-flags="<flags>" (flags on the server's node command line, for those NODE_OPTIONS refuses,
 *                                  e.g. --node-flags=--single-threaded-gc)
 *          --heap-mb N (the server's V8 old-space budget; default 192, 0 for V8's own default)
 *          --retry-after (a /messages or /file VU that gets a 503 waits its Retry-After before its next
 *                         request, as a polite client would; the original's k6 VUs retry at once)
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { parseArgs } from "node:util"
import { writeChart } from "./chart.js"
import { evaluate, targetsFor } from "../load/acceptance.js"
import { spikeCost } from "../load/spike-cost.js"
import { latenciesBetween, median, percentile, type SecondRow } from "../load/aggregate.js"
import { secondsToCsv, toCsv } from "../load/csv.js"
import { runLoad } from "../load/runner.js"
import { serverFigures, serverFiguresLine, type ServerSecond, serverSecondsFromProbe } from "../load/server-seconds.js"
import { type Baseline, baselineTable } from "./baseline.js"
import { buildScript } from "../shared/build.js"
import { effect3Only, idSuffix, linesOutDir, linesTable, parseLines, passOrder, prepareServers, type Server, serversNote } from "./lines.js"
import { type CapacitySample, medianCapacity, sampleCapacity } from "../load/capacity.js"
import { parseSweep, sweepSection } from "./sweep.js"
import {
  adaptiveInitial,
  limitingOf,
  type Mode,
  modeEnv,
  parseAlgorithm,
  parseModes,
  queueBoundFactor
} from "./modes.js"
import { acquireDatabase, adminQuery, type Database, loadMessages } from "./pg.js"
import { preset } from "../load/presets.js"
import { type ProcessSample, startSampler } from "../shared/procstat.js"
import {
  acceptanceTable,
  adaptiveSection,
  label,
  passesTable,
  queueBoundSection,
  replaceBetween,
  type RunReport,
  summaryTable
} from "./report.js"
import { freePort, startServer } from "../shared/server.js"
import { pathToFileURL } from "node:url"

const { values: args } = parseArgs({
  options: {
    demo: { type: "boolean", default: false },
    peaks: { type: "string" },
    modes: { type: "string", default: "with,without" },
    db: { type: "string" },
    out: { type: "string" },
    rows: { type: "string", default: "1000000" },
    quiet: { type: "boolean", default: false },
    scale: { type: "string", default: "1" },
    "parallel-workers": { type: "string" },
    "node-options": { type: "string" },
    "node-flags": { type: "string" },
    "heap-mb": { type: "string", default: "192" },
    "db-concurrency": { type: "string", default: "5" },
    "db-nice": { type: "string" },
    unpinned: { type: "boolean", default: false },
    passes: { type: "string", default: "1" },
    "cpu-prof": { type: "string" },
    tsx: { type: "boolean", default: false },
    "retry-after": { type: "boolean", default: false },
    algorithm: { type: "string", default: "gradient2" },
    "db-sweep": { type: "string" },
    baseline: { type: "string" },
    line: { type: "string" },
    lines: { type: "string" }
  }
})

const presetName = args.demo ? "demo" : "full"
const database = (args.db ?? (args.demo ? "embedded" : "postgres")) as "postgres" | "embedded"
if (database !== "postgres" && database !== "embedded") throw new Error(`--db must be postgres or embedded`)
const peaks = (args.peaks ?? (args.demo ? "600" : "150,600")).split(",").map(Number)
const modes = parseModes(args.modes)
/**
 * A set with `bounded` runs is published apart (its own directory and block),
 * so that it never replaces the published with/without runs.
 */
const bounded = modes.includes("bounded")
/** Likewise a set with `adaptive` runs. */
const adaptive = modes.includes("adaptive")
if (bounded && adaptive) throw new Error("--modes: bounded and adaptive are published apart; run them separately")
const algorithm = parseAlgorithm(args.algorithm)
const publishedDir = (args.unpinned ? "docs/bench/unpinned" : "docs/bench") + (bounded ? "/bounded" : "") +
  (adaptive ? `/adaptive${algorithm === "gradient2" ? "" : `-${algorithm}`}` : "")
const lines = parseLines(args.line, args.lines)
const outDir = path.resolve(args.out ?? linesOutDir(lines, args.demo ? ".bench-out/demo" : publishedDir))
const passes = Number.parseInt(args.passes, 10)
if (!(passes >= 1 && passes <= 10)) throw new Error(`--passes must be 1 to 10, got ${args.passes}`)
const seedRows = Number(args.rows)
const limiterTimeoutMs = 2000
const clientTimeoutMs = 6000
const parallelWorkers = Number.parseInt(args["parallel-workers"] ?? "0", 10)
const dbConcurrency = Number.parseInt(args["db-concurrency"], 10)
if (!(dbConcurrency >= 1)) throw new Error(`--db-concurrency must be a positive integer, got ${args["db-concurrency"]}`)
const fsConcurrency = 10
/** Fixed `Db` capacities also run as `with` in every pass (bench/overload/sweep.ts). */
const sweep = parseSweep(args["db-sweep"])

/** The database's core and the server's (and generator's), when pinned. */
const dbCpus = "1"
const appCpus = "0"

/** Why CPU pinning cannot be used here, or undefined when it can. */
const pinningUnavailable = (): string | undefined => {
  if (args.unpinned) return "--unpinned"
  if (os.cpus().length < 2) return `${os.cpus().length} CPU`
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
  } catch {
    return "no taskset (util-linux)"
  }
  try {
    // Both cores must be ours to use (a cpuset may allow fewer than os.cpus() shows).
    for (const cpu of [appCpus, dbCpus]) execFileSync("taskset", ["-c", cpu, "true"], { stdio: "ignore" })
  } catch {
    return `CPUs ${appCpus} and ${dbCpus} are not both available to this process`
  }
  return undefined
}

/** Set once the database is known: the server's CPU list, if pinned. */
let serverCpus: string | undefined
/** Every server a pass runs: each of `--lines`, or this checkout's and `--baseline`'s. */
let servers: ReadonlyArray<Server> = []
let baseline: Baseline | undefined
/** The probe preload, built to plain JS (the `--tsx` server loads the TypeScript). */
let probeModule = path.resolve("bench/shared/probe.ts")
let pinningNote = ""
let pinned = false

/**
 * The server's V8 old-space budget, as a service in a container is given one.
 * Its live heap is ~55 MB; without a budget V8 lets garbage grow the heap to
 * a few hundred MB before collecting it, so RSS would say little about what
 * the server needs. Both modes alike.
 */
const heapMb = Number.parseInt(args["heap-mb"], 10)
const heapFlag = heapMb > 0 ? `--max-old-space-size=${heapMb}` : undefined
const nodeOptions = [heapFlag, args["node-options"]].filter((x) => x !== undefined).join(" ")

/**
 * The server's settings, identical in every mode except `LIMITER_ENABLED`,
 * the queue bounds and `Db`'s capacity (`modes.ts`).
 */
const serverEnv = (db: Database | undefined, mode: Mode, dbCapacity: number): Record<string, string | undefined> => ({
  ...modeEnv(mode, { db: dbCapacity, fs: fsConcurrency }, algorithm),
  LIMITER_TIMEOUT: "2 seconds",
  FS_CONCURRENCY: String(fsConcurrency),
  DATABASE_URL: db?.url,
  DB_POOL_SIZE: db === undefined ? undefined : "100",
  SEED_ROWS: db === undefined ? undefined : String(seedRows),
  NODE_OPTIONS: nodeOptions === "" ? undefined : nodeOptions
})

const f = (x: number, width: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "-").padStart(width)

const liveHeader =
  "   t | msg VUs  req/s   2xx   503  t/o  err   p50ms   p95ms | file req/s  p95ms fail | srv CPU  RSS MB |  db CPU | gen CPU"

const liveLine = (rows: ReadonlyArray<SecondRow>, proc: ProcessSample | undefined): string => {
  const m = rows.find((r) => r.endpoint === "/messages")
  const file = rows.find((r) => r.endpoint === "/file")
  if (m === undefined || file === undefined) return ""
  return [
    f(m.t, 4),
    " | ",
    f(m.vus, 7),
    f(m.requests, 7),
    f(m.ok, 6),
    f(m.busy, 6),
    f(m.timeouts, 5),
    f(m.errors, 5),
    f(m.p50, 8),
    f(m.p95, 8),
    " | ",
    f(file.requests, 10),
    f(file.p95, 7, 1),
    f(file.busy + file.timeouts + file.errors, 5),
    " | ",
    f(proc?.serverCpuPct ?? Number.NaN, 5),
    " %",
    f(proc?.serverRssMb ?? Number.NaN, 8),
    " | ",
    f(proc?.dbCpuPct ?? Number.NaN, 5),
    " % | ",
    f(proc?.generatorCpuPct ?? Number.NaN, 5),
    " %"
  ].join("")
}

/** Waits (bounded) until the database has no queries left from the previous run. */
const settle = async (db: Database | undefined) => {
  if (db === undefined) return sleep(3000)
  for (let i = 0; i < 60; i++) {
    const [row] = await adminQuery<{ n: number }>(
      db.url,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    if ((row?.n ?? 0) === 0) break
    await sleep(500)
  }
  await sleep(3000)
}

const runOnce = async (
  db: Database | undefined,
  mode: Mode,
  peak: number,
  pass: number,
  served: Server,
  sweepCapacity?: number
): Promise<RunReport> => {
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
    env: { ...serverEnv(db, mode, sweepCapacity ?? dbConcurrency), PROBE_FILE: probeFile },
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
  const messages = messagesFigures(result, p.spike, capacity)
  console.log(
    `/messages 2xx/s before ${messages.okPerSecond.before}, spike ${messages.okPerSecond.spike}, after ${messages.okPerSecond.after}; ` +
      `2xx p50 ${messages.okP50Ms.toFixed(0)} ms, p99 ${messages.okP99Ms.toFixed(0)} ms` +
      (capacity.length === 0
        ? ""
        : `; Db capacity median before ${messages.capacity.before}, spike ${messages.capacity.spike}, after ${messages.capacity.after} (${messages.capacity.min}–${messages.capacity.max})`)
  )
  const total = result.rows.reduce((a, r) => a + r.requests, 0)
  const fileP99WorstSecondMs = fileP99WorstSecond(result.rows, p.spike)
  const starved = runQueueWait(processStats.samples, p.spike)
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

/**
 * The server's main thread over acceptance's spike window: ms per second it
 * was runnable but given no CPU (the run queue), and ms it ran.
 */
const runQueueWait = (samples: ReadonlyArray<ProcessSample>, spike: { readonly startMs: number; readonly endMs: number }) => {
  const startS = Math.floor(spike.startMs / 1000)
  const untilS = Math.ceil(spike.endMs / 1000) + Math.ceil(limiterTimeoutMs / 1000)
  const during = samples.filter((x) => x.t >= startS && x.t < untilS)
  const waits = during.map((x) => x.serverMainWaitMs).filter(Number.isFinite)
  return {
    medianMs: median(waits),
    worstMs: waits.length === 0 ? Number.NaN : Math.max(...waits),
    runMedianMs: median(during.map((x) => x.serverMainRunMs).filter(Number.isFinite)),
    preemptionsMedian: median(during.map((x) => x.serverMainPreemptions).filter(Number.isFinite))
  }
}

/** /file's worst per-second p99 over acceptance's spike window (ms). */
const fileP99WorstSecond = (rows: ReadonlyArray<SecondRow>, spike: { readonly startMs: number; readonly endMs: number }) => {
  const startS = Math.floor(spike.startMs / 1000)
  const untilS = Math.ceil(spike.endMs / 1000) + Math.ceil(limiterTimeoutMs / 1000)
  const p99s = rows.filter((r) => r.endpoint === "/file" && r.t >= startS && r.t < untilS && Number.isFinite(r.p99)).map((r) => r.p99)
  return p99s.length === 0 ? Number.NaN : Math.max(...p99s)
}

/**
 * `/messages` as the adaptive mode is judged: 2xx per second (median of the
 * seconds) before the spike, over acceptance's spike window and after it;
 * the 2xx latencies' p50 and p99 over the whole run; and the `Db` capacity
 * over the same windows.
 */
const messagesFigures = (
  result: Awaited<ReturnType<typeof runLoad>>,
  spike: { readonly startMs: number; readonly endMs: number },
  capacity: ReadonlyArray<CapacitySample>
) => {
  const startS = Math.floor(spike.startMs / 1000)
  const untilS = Math.ceil(spike.endMs / 1000) + Math.ceil(limiterTimeoutMs / 1000)
  const rows = result.rows.filter((r) => r.endpoint === "/messages")
  const okMedian = (from: number, until: number) => median(rows.filter((r) => r.t >= from && r.t < until).map((r) => r.ok))
  const ok = latenciesBetween(result.latencies["/messages"]?.ok, 0, Number.POSITIVE_INFINITY)
  const end = rows.length === 0 ? 0 : rows[rows.length - 1]!.t + 1
  return {
    okPerSecond: { before: okMedian(2, startS), spike: okMedian(startS, untilS), after: okMedian(untilS, end) },
    okP50Ms: percentile(ok, 50),
    okP99Ms: percentile(ok, 99),
    capacity: {
      before: medianCapacity(capacity, 2, startS),
      spike: medianCapacity(capacity, startS, untilS),
      after: medianCapacity(capacity, untilS, end),
      min: capacity.length === 0 ? Number.NaN : Math.min(...capacity.map((c) => c.capacity)),
      max: capacity.length === 0 ? Number.NaN : Math.max(...capacity.map((c) => c.capacity))
    }
  }
}

const machine = () => {
  const cpus = os.cpus()
  return `${cpus.length} × ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`
}

const main = async () => {
  let db: Database | undefined
  const prepared = await prepareServers({ lines, tsx: args.tsx, baselineRef: args.baseline })
  servers = prepared.servers
  baseline = prepared.baseline
  if (!args.tsx) probeModule = await buildScript("bench/shared/probe.ts", ".bench-out/build-probe/probe.mjs")
  if (database === "postgres") {
    const unavailable = pinningUnavailable()
    db = await acquireDatabase({
      database: "ecl_bench",
      minConnections: 100,
      scratchDir: ".bench-out",
      ...(unavailable === undefined ? { pinCpus: dbCpus } : {})
    })
    console.log(`PostgreSQL: ${db.origin}, max_connections ${db.maxConnections}`)
    if (db.pinnedCpus !== undefined) {
      // The generator (this process, all its threads) shares the app's core.
      execFileSync("taskset", ["-a", "-p", "-c", appCpus, String(process.pid)], { stdio: "ignore" })
      serverCpus = appCpus
      pinned = true
      pinningNote = `PostgreSQL pinned to CPU ${db.pinnedCpus}, server and load generator to CPU ${appCpus} (taskset)`
    } else {
      pinningNote = `no CPU pinning (${unavailable ?? "the database is not a cluster started here"})`
    }
    console.log(`pinning: ${pinningNote}`)
    const started = Date.now()
    await loadMessages(db.url, seedRows)
    console.log(`messages table holds ${seedRows} rows (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    // PostgreSQL's own default (2 parallel workers per query) unless asked otherwise;
    // RESET keeps an earlier experiment from leaking into this run.
    const nice = args["db-nice"]
    if (nice !== undefined) {
      // Experiment: the database's processes (and every backend forked later,
      // which inherit it) yield the CPU to the app, as if on another host.
      if (db.postmasterPid === undefined) throw new Error("--db-nice needs the throwaway cluster")
      execFileSync("renice", ["-n", String(Number.parseInt(nice, 10)), "-p", String(db.postmasterPid)])
    }
    // One process per query (no parallel workers), like the Python
    // benchmark's one SQLite thread per request; same in both modes.
    await adminQuery(db.url, `ALTER DATABASE ecl_bench SET max_parallel_workers_per_gather = ${parallelWorkers}`)
    console.log(`PostgreSQL max_parallel_workers_per_gather = ${parallelWorkers} for ecl_bench`)
  } else {
    pinningNote = "no CPU pinning (the embedded database runs inside the server process)"
    console.log(`pinning: ${pinningNote}`)
  }
  const allRuns: Array<RunReport> = []
  try {
    // Alternate modes within each peak, in --modes order: with, without, with, without.
    for (let pass = 1; pass <= passes; pass++) {
      for (const peak of peaks) {
        for (const mode of modes) {
          // With a baseline or several lines, each mode runs once per server in a row, the order swapped every pass.
          for (const server of passOrder(servers, pass)) {
            if (allRuns.length > 0) await settle(db)
            allRuns.push(await runOnce(db, mode, peak, pass, server))
          }
        }
        for (const capacity of sweep) {
          for (const server of passOrder(servers, pass).filter((s) => s.build === "current")) {
            await settle(db)
            allRuns.push(await runOnce(db, "with", peak, pass, server, capacity))
          }
        }
      }
    }
  } finally {
    db?.stop()
  }
  const sweepBlock = sweepSection(allRuns, dbConcurrency)
  // The sweep's runs only in its own table.
  const mainRuns = allRuns.filter((r) => r.sweep === undefined)
  const runs = mainRuns.filter((r) => r.pass === passes)
  // Every pass where both ran; empty (and left out) without `bounded` (`adaptive`) runs.
  const queueBound = queueBoundSection(mainRuns)
  const adaptiveBlock = adaptiveSection(mainRuns)
  const beforeAfter = baselineTable(mainRuns, baseline)
  const byLine = linesTable(mainRuns)
  const summary = [
    `Machine: ${machine()}. Load generator: the benchmark's own process (undici, closed loop${
      args["retry-after"] ? "; a VU that gets a 503 waits its Retry-After" : ""
    }). ` +
      `Database: ${db === undefined ? "embedded PGlite (the app's default)" : `PostgreSQL (${db.origin.replace(/ \(.*/, "")}), pool 100 connections in both modes`}. ` +
      `Preset: ${presetName}. Limiter timeout 2 s, Db capacity ${args["db-concurrency"]}, Fs capacity 10, client timeout 6 s. ` +
      `${serversNote(servers)}; ${pinningNote}.` +
      (db === undefined ? "" : ` PostgreSQL max_parallel_workers_per_gather = ${parallelWorkers}.`) +
      (nodeOptions === "" ? " Server heap: V8's default budget." : ` Server NODE_OPTIONS: ${nodeOptions}.`) +
      (args["node-flags"] === undefined ? "" : ` Server node flags: ${args["node-flags"]}.`) +
      (args["db-nice"] === undefined ? "" : ` PostgreSQL reniced to ${args["db-nice"]}.`) +
      (bounded
        ? ` Queue bound (bounded runs): Db ${queueBoundFactor * dbConcurrency}, Fs ${queueBoundFactor * fsConcurrency} waiters.`
        : "") +
      (adaptive ? ` Adaptive runs: Db's capacity \`DB_LIMIT=${algorithm}\` (examples/DbCapacity.ts), started at ${adaptiveInitial}.` : ""),
    "",
    ...(queueBound === "" ? [] : [queueBound, ""]),
    ...(adaptiveBlock === "" ? [] : [adaptiveBlock, ""]),
    ...(sweepBlock === "" ? [] : [sweepBlock]),
    ...(beforeAfter === ""
      ? []
      : [`Before/after, alternated in this run (${passes} pass${passes > 1 ? "es" : ""}; medians, ranges in brackets):`, "", beforeAfter, ""]),
    ...(byLine === "" ? [] : [`The Effect lines, alternated in this run (${passes} pass${passes > 1 ? "es" : ""}; medians, ranges in brackets):`, "", byLine, ""]),
    summaryTable(runs),
    "",
    acceptanceTable(runs),
    "",
    ...(passes > 1 ? [`Every pass (${passes}), criterion by criterion:`, "", passesTable(mainRuns), ""] : []),
    ...runs.map((r) => `![${label(r)}](${path.relative("docs", r.chart)})`)
  ].join("\n")
  console.log(`\n${summary}`)
  fs.writeFileSync(
    path.join(outDir, "results.json"),
    JSON.stringify({ machine: machine(), preset: presetName, pinning: pinningNote, parallelWorkers, baseline, lines, runs: allRuns }, null, 2)
  )
  // A before/after set, or one with the Effect 4 line, is an experiment: it never replaces the published block.
  if (presetName === "full" && database === "postgres" && outDir === path.resolve(publishedDir) && baseline === undefined && effect3Only(lines)) {
    const doc = "docs/benchmarks.md"
    const before = fs.existsSync(doc) ? fs.readFileSync(doc, "utf8") : "# Overload benchmark\n"
    // bench:summary, bench:summary-unpinned, bench:summary-bounded, bench:summary-adaptive, … (-unpinned).
    const marker = `bench:summary${bounded ? "-bounded" : ""}${adaptive ? `-adaptive${algorithm === "gradient2" ? "" : `-${algorithm}`}` : ""}${
      args.unpinned ? "-unpinned" : ""
    }`
    fs.writeFileSync(doc, replaceBetween(before, marker, summary))
    console.log(`\nupdated ${doc}`)
  }
}

await main()
