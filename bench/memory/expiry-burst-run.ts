/**
 * One measurement of `npm run bench:expiry-burst` (`expiry-burst.ts` builds
 * it against a library checkout and runs it under `node`): N requests that
 * park at once in a guard whose only permit is held (timeout 3 s), while
 * another endpoint (`/ok`, unguarded) is asked in a loop. Their intake
 * spreads their deadlines over a few hundred milliseconds, so the server is
 * made to stall (a synchronous busy wait, as a long GC pause or a starved
 * process would) from just before the first deadline until just after the
 * last: when the timer runs again, all N are due at once — the burst of
 * 503s this measures.
 *
 *   node <built>.mjs <n>
 *
 * The clients run in a worker thread (their clock is not the server's
 * loop): the N requests on N connections sent at once, and one connection
 * asking `/ok` back to back. Prints one JSON line: the stall, how far the
 * slowest `/ok` in the burst's window exceeds it (what the 503s written
 * after it cost an unrelated request), and when the last 503 arrived after
 * the stall ended.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { Limiter, Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Worker } from "node:worker_threads"

const n = Number.parseInt(process.argv[2] ?? "1000", 10)
if (!(n > 0 && n <= 8000)) throw new Error(`n must be 1 to 8000, got ${process.argv[2]}`)
/** Long enough for the intake of thousands of requests to end before the first deadline. */
const timeoutMs = 3000

const Db = Resource.make("Db", { capacity: 1 })
const withDb = Limiter.withResources([Db])

/** The clients: see the header. Times are `performance.now()` in the worker. */
const clientCode = `
const net = require("node:net"); const { parentPort, workerData } = require("node:worker_threads");
const { port, n } = workerData;
const request = (path) => "GET " + path + " HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n";
const parked = []; let connected = 0; const done = [];
const okLog = []; let stop = false; let sentAt = 0; let lastAt = 0;
const ok = net.connect(port, "127.0.0.1");
let okStarted = 0;
const askOk = () => { if (stop) return; okStarted = performance.now(); ok.write(request("/ok")) };
ok.on("data", () => { const now = performance.now(); okLog.push([okStarted, now - okStarted]); setImmediate(askOk) });
for (let i = 0; i < n; i++) {
  const s = net.connect(port, "127.0.0.1", () => { if (++connected === n) fire() });
  s.on("data", (chunk) => { if (String(chunk).startsWith("HTTP/1.1 503")) { done.push(performance.now() - sentAt); lastAt = Date.now() } if (done.length === n) finish() });
  s.on("error", () => {});
  parked.push(s);
}
function fire() { askOk(); sentAt = performance.now(); for (const s of parked) s.write(request("/parked")); parentPort.postMessage({ sent: true }) }
function finish() { setTimeout(() => { stop = true;
  const windowStart = sentAt + ${timeoutMs} - 50; const windowEnd = sentAt + Math.max(...done) + 50;
  const inWindow = okLog.filter(([at, ms]) => at + ms >= windowStart && at <= windowEnd).map(([, ms]) => ms);
  parentPort.postMessage({ lastAt, okInWindow: inWindow.length, okMaxMs: Math.max(...inWindow) });
}, 100) }
`

const program = Effect.gen(function*() {
  const server = createServer()
  yield* Layer.launch(
    HttpServer.serve(
      HttpRouter.empty.pipe(
        HttpRouter.get("/parked", withDb(HttpServerResponse.text("ok"))),
        HttpRouter.get("/ok", HttpServerResponse.text("ok"))
      )
    ).pipe(Layer.provide(NodeHttpServer.layer(() => server, { port: 0, host: "127.0.0.1" })))
  ).pipe(Effect.forkScoped)
  while (!server.listening) yield* Effect.sleep("5 millis")
  yield* Effect.forkScoped(withDb(Effect.never))
  const port = (server.address() as AddressInfo).port
  const limiter = yield* Limiter.Limiter
  const waiting = Effect.map(limiter.stats, (stats) => stats.find((x) => x.resource === "Db")?.waiting ?? 0)
  let stall = { ms: 0, endAt: 0 }
  /** Once the burst is sent: notes when the first and the last request parked, and stalls the loop over their deadlines. */
  const stallOverDeadlines = Effect.gen(function*() {
    while ((yield* waiting) < 1) yield* Effect.sleep("1 millis")
    const first = performance.now()
    while ((yield* waiting) < n) {
      if (performance.now() > first + timeoutMs - 200) {
        return yield* Effect.dieMessage(`the intake of ${n} requests took longer than the ${timeoutMs} ms timeout`)
      }
      yield* Effect.sleep("1 millis")
    }
    const last = performance.now()
    yield* Effect.sleep(Math.max(0, first + timeoutMs - 5 - performance.now()))
    const started = performance.now()
    while (performance.now() < last + timeoutMs + 5) {
      // The stall: nothing else runs on this thread meanwhile.
    }
    stall = { ms: performance.now() - started, endAt: Date.now() }
  })
  const result = yield* Effect.async<Record<string, number>>((resume) => {
    const worker = new Worker(clientCode, { eval: true, workerData: { port, n } })
    worker.on("message", (message: Record<string, number>) => {
      if ("sent" in message) {
        Effect.runFork(
          stallOverDeadlines.pipe(Effect.catchAllDefect((defect) => Effect.sync(() => resume(Effect.die(defect)))))
        )
        return
      }
      void worker.terminate()
      resume(Effect.succeed({
        stallMs: stall.ms,
        okMaxBeyondStallMs: message.okMaxMs! - stall.ms,
        last503AfterStallMs: message.lastAt! - stall.endAt
      }))
    })
    worker.on("error", (error) => resume(Effect.die(error)))
  })
  return { n, ...result }
}).pipe(Effect.scoped, Effect.provide(Limiter.layer({ timeout: `${timeoutMs} millis`, resources: [Db] })))

console.log(JSON.stringify(await Effect.runPromise(program)))
process.exit(0)
