/**
 * `npm run stress:connections`: 10,000 concurrent connections against the
 * example server (`Db` capacity 5, a 5 s limiter timeout, the embedded
 * database), in two waves.
 *
 * Each wave opens every connection (paced under the listen backlog, see
 * `stress/pacing.ts`), waits until the server has accepted them all, then
 * sends one `GET /messages` on each and holds all of them through the
 * queue; once the server has answered every one, they close. Checked, per
 * wave: every request ends in a 200 or a well-formed 503, none is refused,
 * reset, dropped or left unanswered; all connections were open (and
 * accepted) at once and every request reached the limiter; the server's RSS
 * stays under the bound below and settles back to within 20 % of its idle
 * value — by itself within `--settle-timeout`, or else after a full GC
 * forced through the inspector (V8 does not collect in an idle process, so
 * without it the wave's garbage stays resident; both figures are printed);
 * the limiter is idle again afterwards. Exits 1 on any failed check, and
 * when the file-descriptor limit forces fewer connections than asked for.
 *
 * Usage: npm run stress:connections [-- --connections 10000 --waves 2 --rate 5000 --settle-timeout 30000]
 */
import { setTimeout as sleep } from "node:timers/promises"
import { parseArgs } from "node:util"
import { readCpuSeconds, readRss } from "../shared/procstat.js"
import { makeChecks } from "./checks.js"
import { startStressServer } from "./exampleServer.js"
import { ensureFdLimit, readFdLimit } from "./fdLimit.js"
import { pollGauges, readGauges } from "./gauges.js"
import type { Gauges } from "./gauges.js"
import { httpGet } from "./httpGet.js"
import { collectGarbage, inspectorUrl } from "./inspector.js"
import { countAccepted } from "./accepted.js"
import { acceptQueueWatch, readListenBacklog } from "./listenBacklog.js"
import { readFdCount, sampleFootprint, waitForRss } from "./memory.js"
import { runWave, waveFailures } from "./wave.js"
import type { WaveResult } from "./wave.js"

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "10000" },
    waves: { type: "string", default: "2" },
    rate: { type: "string", default: "5000" },
    "max-pending": { type: "string", default: "256" },
    "settle-timeout": { type: "string", default: "30000" }
  }
})

/** Descriptors beyond the connections: the runtime, PGlite's worker, the /metrics scrapes, stdio. */
const fdMargin = 1000

/**
 * The RSS bound: idle + `perConnectionKiB` for each connection held. One
 * held connection with its request queued costs the server a socket, Node's
 * HTTP parser and request/response objects, and the request's fiber waiting
 * in the limiter's queue, plus the garbage they leave until V8's next major
 * GC: the peak minus idle, over the connections, measured 34 KiB (two waves
 * of 10,000) and 18-41 KiB (waves of 2,000) on the development machine. The
 * bound allows 60 KiB, 1.75× that, so GC timing does not fail it, while a
 * buffer kept per connection (a 64 KiB read buffer, say) or the first wave's
 * memory kept through the second would.
 */
const perConnectionKiB = 60

/** Back to within 20 % of idle after a wave. */
const settleFactor = 1.2

const requested = Number(args.connections)
const { conclude, fail } = makeChecks()

const limit = ensureFdLimit(requested + fdMargin)
console.log(limit.message)
let connections = requested
if (!limit.enough) {
  connections = Math.max(0, limit.after.soft - fdMargin)
  fail(`file-descriptor limit too low: scaled down from ${requested} to ${connections} connections`)
  if (connections < 100) process.exit(1)
}

const { port, server } = await startStressServer("connections", "5 seconds")
const mb = (n: number) => `${n.toFixed(0)} MiB`
let exitCode = 1
try {
  const serverLimit = readFdLimit(server.pid)
  console.log(`server pid ${server.pid}: RLIMIT_NOFILE soft ${serverLimit.soft}, hard ${serverLimit.hard}`)
  if (serverLimit.soft < connections + fdMargin) fail(`the server's file-descriptor limit ${serverLimit.soft} < ${connections + fdMargin}`)
  const { backlog, somaxconn } = readListenBacklog(port)
  const acceptQueue = acceptQueueWatch(port, backlog)
  console.log(
    `listen backlog ${backlog} (somaxconn ${somaxconn}): connecting at most ${args.rate}/s, at most ${
      args["max-pending"]
    } connects pending, and only while the accept queue stays under ${acceptQueue.limit}`
  )

  // Warm up (JIT, lazy initialisation, the database's caches), then the idle footprint.
  for (let i = 0; i < 20; i++) await httpGet(`${server.baseUrl}/messages`)
  // Past Node's keepAliveTimeout (5 s), so the ready probe's keep-alive connection is gone from the fd count.
  await sleep(6000)
  const idleRssMb = readRss(server.pid).rssMb
  const idleFds = readFdCount(server.pid)
  const boundMb = idleRssMb + (perConnectionKiB * connections) / 1024
  console.log(
    `idle: RSS ${mb(idleRssMb)}, ${idleFds} fds. RSS bound: idle + ${perConnectionKiB} KiB × ${connections} = ${mb(boundMb)}; settle target ${
      mb(idleRssMb * settleFactor)
    }`
  )

  const footprint = sampleFootprint(server.pid)
  const rows: Array<Record<string, string | number>> = []
  for (let wave = 1; wave <= Number(args.waves); wave++) {
    const label = `wave ${wave}`
    footprint.reset()
    const before = await readGauges(server.baseUrl)
    const cpuBefore = readCpuSeconds(server.pid)
    let fdsBeforeRequests = Number.NaN
    let acceptedBeforeRequests = Number.NaN
    // The most waiters any scrape saw, from the moment the requests are sent until every one has ended.
    let maxWaiting = 0
    let waveOver = false
    const watchWaiting = async () => {
      while (!waveOver) {
        maxWaiting = Math.max(maxWaiting, await readGauges(server.baseUrl).then((g) => g.waiting, () => 0))
        await sleep(100)
      }
    }
    let atPeak: { held: number; reached: number; afterMs: number } | undefined
    const result: WaveResult = await runWave({
      host: "127.0.0.1",
      port,
      path: "/messages",
      connections,
      pace: { ratePerSecond: Number(args.rate), maxPending: Number(args["max-pending"]), acceptQueue },
      responseTimeoutMs: 60_000,
      // Every connection open on our side: wait (bounded) until the server has accepted them all too.
      beforeRequests: async () => {
        const deadline = Date.now() + 30_000
        while (countAccepted(port) < connections && Date.now() < deadline) await sleep(250)
        acceptedBeforeRequests = countAccepted(port)
        fdsBeforeRequests = readFdCount(server.pid)
        void watchWaiting()
      },
      // Every request written: wait (bounded) until the server has read every one,
      // i.e. each one is queued, holding, or already answered by the limiter.
      whileHeld: async (held) => {
        const reachedOf = (g: Gauges) => g.waiting + g.acquired - before.acquired + g.timedOut - before.timedOut
        const poll = await pollGauges(server.baseUrl, (g) => reachedOf(g) >= connections, 30_000, 50)
        atPeak = { held, reached: reachedOf(poll.gauges), afterMs: poll.afterMs }
      }
    })
    waveOver = true
    const peak = footprint.peak()
    const serverCpuSeconds = readCpuSeconds(server.pid) - cpuBefore
    const after = await pollGauges(server.baseUrl, (g) => g.waiting === 0 && g.inUse === 0, 10_000)
    const settled = await waitForRss(server.pid, idleRssMb * settleFactor, Number(args["settle-timeout"]))
    // Not settled by itself: V8 may simply not have run a major GC since the wave (an idle process
    // allocates nothing that would trigger one). Force one; what is still resident then is not garbage.
    let afterGc: { rssMb: number; heapUsedMb: number } | undefined
    if (!settled.met) {
      const url = inspectorUrl(server.logTail(5000))
      if (url === undefined) fail(`${label}: no inspector URL in the server's log`)
      else {
        const usage = await collectGarbage(url)
        await sleep(2000)
        afterGc = { rssMb: readRss(server.pid).rssMb, heapUsedMb: usage.heapUsed }
        console.log(
          `${label}: RSS ${mb(settled.rssMb)} after ${settled.afterMs} ms idle; after a forced full GC: RSS ${
            mb(afterGc.rssMb)
          } (V8 heap used ${mb(usage.heapUsed)} of ${mb(usage.heapTotal)}, external ${mb(usage.external)})`
        )
      }
    }
    const settledMb = afterGc?.rssMb ?? settled.rssMb
    for (const f of waveFailures(result, connections)) fail(`${label}: ${f}`)
    if (!(acceptedBeforeRequests >= connections)) fail(`${label}: the server had accepted ${acceptedBeforeRequests} connections, not ${connections}`)
    if (atPeak === undefined || atPeak.reached < connections) {
      fail(`${label}: only ${atPeak?.reached} of ${connections} requests reached the limiter while all were held`)
    }
    if (peak.rssMb > boundMb) fail(`${label}: peak RSS ${mb(peak.rssMb)} over the bound ${mb(boundMb)}`)
    if (settledMb > idleRssMb * settleFactor) {
      fail(`${label}: RSS ${mb(settledMb)} not back within 20 % of idle ${mb(idleRssMb)}${afterGc ? " even after a full GC" : ""}`)
    }
    if (!after.met) fail(`${label}: limiter not idle afterwards (waiting ${after.gauges.waiting}, in use ${after.gauges.inUse})`)
    rows.push({
      wave: label,
      "held at once": result.peakHeld,
      "server accepted": acceptedBeforeRequests,
      "server fds": fdsBeforeRequests,
      "max waiting": maxWaiting,
      "all in limiter after s": atPeak === undefined ? "-" : (atPeak.afterMs / 1000).toFixed(1),
      "200": result.ok,
      "503": result.busy,
      "errors": [...result.errors].map(([k, n]) => `${k}:${n}`).join(" ") || 0,
      "other status": [...result.otherStatus].map(([k, n]) => `${k}:${n}`).join(" ") || 0,
      "SYN retries": result.synRetries,
      "open s": (result.openMs / 1000).toFixed(1),
      "duration s": (result.durationMs / 1000).toFixed(1),
      "p50/p99/max s": [result.p50Ms, result.p99Ms, result.maxMs].map((ms) => (ms / 1000).toFixed(2)).join("/"),
      "server CPU s": serverCpuSeconds.toFixed(1),
      "peak RSS": mb(peak.rssMb),
      "KiB/conn": (((peak.rssMb - idleRssMb) * 1024) / connections).toFixed(1),
      "settled RSS": `${mb(settled.rssMb)} (${(settled.afterMs / 1000).toFixed(1)} s)`,
      "after forced GC": afterGc === undefined ? "-" : mb(afterGc.rssMb)
    })
    console.log(JSON.stringify(rows[rows.length - 1]))
  }
  footprint.stop()
  console.log(`\nidle RSS ${mb(idleRssMb)}, bound ${mb(boundMb)}, settle target ${mb(idleRssMb * settleFactor)}`)
  console.table(rows)
  exitCode = conclude()
} finally {
  await server.stop()
}
process.exit(exitCode)
