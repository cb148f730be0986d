// The embedded database's worker thread: PGlite (PostgreSQL compiled to
// WebAssembly) behind pglite-socket's wire-protocol server. PGlite runs each
// query synchronously on the thread that owns it; owning it here keeps the
// HTTP server's event loop free while a query scans the table.
//
// Plain JavaScript because Node 20 worker threads do not inherit tsx's
// TypeScript loader. Started and stopped by ./EmbeddedPostgres.ts.
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { parentPort, workerData } from "node:worker_threads"

const db = await PGlite.create()
const server = new PGLiteSocketServer({
  db,
  host: "127.0.0.1",
  port: 0, // the OS picks a free port; the parent learns it below
  maxConnections: workerData.maxConnections
})
await server.start()
const [host, port] = server.getServerConn().split(":")
parentPort.postMessage({ host, port: Number(port) })

parentPort.once("message", async () => {
  await server.stop()
  await db.close()
  // Nothing else keeps the thread alive: closing the port lets it exit.
  parentPort.close()
})
