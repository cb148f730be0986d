/**
 * One measurement of `npm run bench:parked-memory` (`parked-memory.ts`
 * builds it against a library checkout and runs it under
 * `node --expose-gc`): the heap retained per parked request.
 *
 *   node --expose-gc <built>.mjs <variant> <n>
 *
 * Variants:
 *   fiber  N fibers parked on `Effect.never`: Effect's own floor per fiber;
 *   guard  N fibers each waiting in `Limiter.withResources([Db])` for Db's
 *          only permit, which another fiber holds (timeout 1 hour): what a
 *          request parked in the limiter's queue costs, fiber included.
 *   node-http  N HTTP requests to a plain `node:http` server whose handler
 *          never answers: Node's own floor per request in flight.
 *   http-bare  N HTTP requests to an `@effect/platform-node` server whose
 *          route never answers (`Effect.never`): the HTTP stack's own floor
 *          per request in flight (socket, parser, request, response, fiber).
 *   http   the same route guarded by `Limiter.withResources([Db])`, Db's
 *          only permit held: a request parked in the limiter, as the
 *          benchmark's server holds hundreds in a spike.
 * The HTTP clients run in a worker thread, whose heap is its own isolate's:
 * `heapUsed` counts the server's side only.
 *
 * Prints one JSON line: `{ variant, n, bytesPerParked, heapBeforeMb, heapAfterMb }`.
 * With `HEAP_SNAPSHOT_DIR` set, it also writes a heap snapshot at each
 * reading (`<variant>-before.heapsnapshot`, `<variant>-after.heapsnapshot`);
 * `bench/shared/heap-summary.ts after --base before --per <n>` then says
 * what one parked request is made of.
 * Heap used is read after two full GCs (the first runs finalizers whose
 * garbage the second collects), before the fibers are forked and once all
 * of them are parked.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Fiber, Layer } from "effect"
import { Limiter, Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { writeHeapSnapshot } from "node:v8"
import { Worker } from "node:worker_threads"

const [variant = "guard", nText = "10000"] = process.argv.slice(2)
const n = Number.parseInt(nText, 10)
const variants = ["fiber", "guard", "node-http", "http-bare", "http"]
if (!variants.includes(variant)) throw new Error(`variant must be one of ${variants.join(", ")}, got ${variant}`)
if (!(n > 0)) throw new Error(`n must be a positive integer, got ${nText}`)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run under node --expose-gc")

const Db = Resource.make("Db", { capacity: 1 })
const withDb = Limiter.withResources([Db])

const snapshotDir = process.env.HEAP_SNAPSHOT_DIR

/** The heap used after two full GCs; with `HEAP_SNAPSHOT_DIR`, a snapshot of it named `<variant>-<label>`. */
const heapUsed = (label: "before" | "after") => {
  gc()
  gc()
  const used = process.memoryUsage().heapUsed
  if (snapshotDir !== undefined) writeHeapSnapshot(path.join(snapshotDir, `${variant}-${label}.heapsnapshot`))
  return used
}

/** Yields until `Db` has `count` waiters (bounded: a stuck queue fails the run). */
const waitersReach = (count: number) =>
  Effect.gen(function*() {
    const limiter = yield* Limiter.Limiter
    for (let i = 0; i < 10_000; i++) {
      const stats = yield* limiter.stats
      if ((stats.find((s) => s.resource === "Db")?.waiting ?? 0) >= count) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`Db never reached ${count} waiters`)
  })

const park = (count: number) =>
  Effect.forEach(
    Array.from({ length: count }),
    () => Effect.fork(variant === "guard" ? withDb(Effect.void) : Effect.never),
    { discard: false }
  )

const program = Effect.gen(function*() {
  // The only permit, held for the whole run.
  const holder = yield* Effect.fork(withDb(Effect.never))
  yield* Effect.yieldNow()
  // Warm-up: the same path once at a smaller size, so that compiled code and
  // lazily built structures are in the heap before the baseline is read.
  const warm = yield* park(Math.min(1000, n))
  if (variant === "guard") yield* waitersReach(warm.length)
  yield* Fiber.interruptAll(warm)
  const before = heapUsed("before")
  const fibers = yield* park(n)
  if (variant === "guard") yield* waitersReach(n)
  else yield* Effect.yieldNow()
  const after = heapUsed("after")
  yield* Fiber.interruptAll(fibers)
  yield* Fiber.interrupt(holder)
  return { variant, n, bytesPerParked: (after - before) / n, heapBeforeMb: before / 2 ** 20, heapAfterMb: after / 2 ** 20 }
}).pipe(Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [Db] })))

/**
 * Opens `count` keep-alive connections to `port` from a worker thread and
 * sends one request on each; resolves once all are written. The worker
 * keeps them open until `close`.
 */
const startClients = (port: number, count: number) => {
  const worker = new Worker(
    `const net = require("node:net"); const { parentPort, workerData } = require("node:worker_threads");
     const sockets = []; let written = 0;
     for (let i = 0; i < workerData.count; i++) {
       const socket = net.connect(workerData.port, "127.0.0.1", () => {
         socket.write("GET /parked HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n", () => {
           if (++written === workerData.count) parentPort.postMessage("written")
         })
       });
       socket.on("error", () => {}); sockets.push(socket)
     }`,
    { eval: true, workerData: { port, count } }
  )
  const written = new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve())
    worker.once("error", reject)
  })
  return { written, close: () => worker.terminate() }
}

/** Requests that reached the bare route. */
let arrived = 0

const httpProgram = Effect.gen(function*() {
  const server = variant === "node-http" ? createServer(() => void arrived++) : createServer()
  const route = variant === "http"
    ? withDb(HttpServerResponse.text("ok"))
    : Effect.zipRight(Effect.sync(() => arrived++), Effect.never)
  if (variant === "node-http") {
    server.listen(0, "127.0.0.1")
    yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
  } else {
    yield* Layer.launch(
      HttpServer.serve(HttpRouter.empty.pipe(HttpRouter.get("/parked", route))).pipe(
        Layer.provide(NodeHttpServer.layer(() => server, { port: 0, host: "127.0.0.1" }))
      )
    ).pipe(Effect.forkScoped)
  }
  while (!server.listening) yield* Effect.sleep("5 millis")
  const port = (server.address() as AddressInfo).port
  const holder = yield* Effect.fork(withDb(Effect.never))
  yield* Effect.yieldNow()
  const limiter = yield* Limiter.Limiter
  const parked = Effect.gen(function*() {
    if (variant !== "http") return arrived
    const stats = yield* limiter.stats
    return stats.find((s) => s.resource === "Db")?.waiting ?? 0
  })
  const parkAll = (count: number, already: number) =>
    Effect.gen(function*() {
      const clients = startClients(port, count)
      yield* Effect.promise(() => clients.written)
      for (let i = 0; i < 2000 && (yield* parked) < already + count; i++) yield* Effect.sleep("5 millis")
      if ((yield* parked) < already + count) return yield* Effect.dieMessage(`only ${yield* parked} of ${count} requests parked`)
      return clients
    })
  // Warm-up: the same path at a smaller size; its connections stay open (they
  // are in both readings), so that compiled code and pools are in place.
  const warm = yield* parkAll(Math.min(500, n), 0)
  const before = heapUsed("before")
  const clients = yield* parkAll(n, Math.min(500, n))
  const after = heapUsed("after")
  yield* Effect.promise(() => clients.close())
  yield* Effect.promise(() => warm.close())
  yield* Fiber.interrupt(holder)
  return { variant, n, bytesPerParked: (after - before) / n, heapBeforeMb: before / 2 ** 20, heapAfterMb: after / 2 ** 20 }
}).pipe(Effect.scoped, Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [Db] })))

const result = await Effect.runPromise(variant.includes("http") ? httpProgram : program)
console.log(JSON.stringify(result))
// The HTTP server's scope is closed; connections the worker left are gone with it.
process.exit(0)
