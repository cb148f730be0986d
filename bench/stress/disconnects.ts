/**
 * `npm run stress:disconnects`: disconnect storms against the example
 * server (`Db` capacity 5, the embedded database, and a limiter timeout of
 * 10 minutes, so that every request really queues instead of getting its
 * 503).
 *
 * Each round: 5,000 clients send `GET /messages`; once `/metrics` shows
 * them all in the limiter, every client drops its connection at a random
 * moment over `--spread` ms (seeded; the seed is printed, `--seed` replays
 * it). Checked after each round: nothing but 200s came back before the
 * disconnects, `limiter_waiting` and `limiter_in_use` for `Db` return to 0,
 * the server closes every connection (its descriptor count returns to
 * idle), and the next request is a 200 within `--next-within` ms (default
 * 1000: a query alone takes tens of ms; a leaked permit or a stuck waiter
 * would make it wait for the 10-minute timeout). Several rounds on the same
 * server show that nothing accumulates. Exits 1 on any failed check.
 *
 * Usage: npm run stress:disconnects [-- --clients 5000 --rounds 3 --spread 3000 --seed N]
 */
import { setTimeout as sleep } from "node:timers/promises"
import { parseArgs } from "node:util"
import { readRss } from "../shared/procstat.js"
import { makeChecks } from "./checks.js"
import { startStressServer } from "./exampleServer.js"
import { ensureFdLimit } from "./fdLimit.js"
import { httpGet } from "./httpGet.js"
import { collectGarbage, inspectorUrl } from "./inspector.js"
import { acceptQueueWatch } from "./listenBacklog.js"
import { readFdCount } from "./memory.js"
import { runStorm, stormFailures } from "./storm.js"

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "5000" },
    rounds: { type: "string", default: "3" },
    spread: { type: "string", default: "3000" },
    seed: { type: "string" },
    "next-within": { type: "string", default: "1000" }
  }
})

const clients = Number(args.clients)
/**
 * What the V8 heap (after a full GC) may hold above idle after a round: a
 * few MiB of caches and JIT code. 5,000 waiters left behind would hold more
 * (a fiber, its request and response objects: tens of KiB each).
 */
const heapGrowthBoundMb = 16
const seed = args.seed === undefined ? (Math.random() * 2 ** 31) | 0 : Number(args.seed)
const nextWithinMs = Number(args["next-within"])
console.log(`seed ${seed} (replay: npm run stress:disconnects -- --seed ${seed})`)
const { conclude, fail } = makeChecks()

const limit = ensureFdLimit(clients + 1000)
console.log(limit.message)
if (!limit.enough) {
  console.log(`cannot hold ${clients} connections: pass a smaller --clients`)
  process.exit(1)
}

const { port, server } = await startStressServer("disconnects", "10 minutes")
let exitCode = 1
try {
  const pace = {
    ratePerSecond: 5000,
    maxPending: 256,
    acceptQueue: acceptQueueWatch(port)
  }
  for (let i = 0; i < 10; i++) await httpGet(`${server.baseUrl}/messages`)
  // Past Node's keepAliveTimeout (5 s), so the ready probe's keep-alive connection is gone from the fd count.
  await sleep(6000)
  const idleFds = readFdCount(server.pid)
  const url = inspectorUrl(server.logTail(5000))
  if (url === undefined) throw new Error("no inspector URL in the server's log")
  const idleHeap = await collectGarbage(url)
  console.log(`idle, after a full GC: RSS ${readRss(server.pid).rssMb.toFixed(0)} MiB, V8 heap used ${idleHeap.heapUsed.toFixed(1)} MiB`)
  const rows: Array<Record<string, string | number>> = []
  for (let round = 1; round <= Number(args.rounds); round++) {
    const label = `round ${round}`
    const result = await runStorm({
      host: "127.0.0.1",
      port,
      path: "/messages",
      clients,
      pace,
      seed: seed + round - 1,
      spreadMs: Number(args.spread),
      settleTimeoutMs: 30_000
    })
    for (const f of stormFailures(result, clients, nextWithinMs)) fail(`${label}: ${f}`)
    // The server must have let go of every connection (bounded wait).
    const fdDeadline = Date.now() + 10_000
    while (readFdCount(server.pid) > idleFds && Date.now() < fdDeadline) await sleep(100)
    const fds = readFdCount(server.pid)
    if (fds > idleFds) fail(`${label}: the server still has ${fds} descriptors open (idle: ${idleFds})`)
    // What a round leaves reachable: the V8 heap after a full GC, against idle's.
    const heap = await collectGarbage(url)
    const grownMb = heap.heapUsed - idleHeap.heapUsed
    if (grownMb > heapGrowthBoundMb) fail(`${label}: V8 heap used ${grownMb.toFixed(1)} MiB above idle after a full GC (bound ${heapGrowthBoundMb})`)
    rows.push({
      round: label,
      seed: result.seed,
      "waiting before": result.waitingBefore,
      answered: result.answered,
      "dropped while queued": result.disconnectedWhileQueued,
      "dropped while holding": result.disconnectedWhileHolding,
      unexpected: [...result.unexpected].map(([k, n]) => `${k}:${n}`).join(" ") || 0,
      "waiting/in use after": `${result.after.waiting}/${result.after.inUse}`,
      "idle after ms": result.settledMs,
      "next": `${result.nextStatus} in ${result.nextLatencyMs.toFixed(0)} ms`,
      "server fds": `${fds} (idle ${idleFds})`,
      "RSS": `${readRss(server.pid).rssMb.toFixed(0)} MiB`,
      "heap after GC": `${heap.heapUsed.toFixed(1)} MiB (+${grownMb.toFixed(1)})`
    })
    console.log(JSON.stringify(rows[rows.length - 1]))
  }
  console.table(rows)
  exitCode = conclude()
} finally {
  await server.stop()
}
process.exit(exitCode)
