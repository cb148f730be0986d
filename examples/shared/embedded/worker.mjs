// The embedded database's worker thread: PGlite (PostgreSQL compiled to
// WebAssembly) behind pglite-socket's wire-protocol server. PGlite runs each
// query synchronously on the thread that owns it; owning it here keeps the
// HTTP server's event loop free while a query scans the table.
//
// Plain JavaScript because Node 20 worker threads do not inherit tsx's
// TypeScript loader. Started and stopped by ./pgliteWorker.ts.
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Blob, Buffer } from "node:buffer"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import process from "node:process"
import { fileURLToPath } from "node:url"
import { parentPort, workerData } from "node:worker_threads"

// A fresh PGlite runs initdb, about 2-3 s of a cold start. A snapshot of a
// freshly initialised (empty) database loads in about 1 s instead, so the
// first start saves one in the temp directory, keyed by PGlite's version,
// and later starts load it. Any problem with it: start fresh, as without.
const snapshotPath = async () => {
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"))
  const manifest = path.join(path.dirname(path.dirname(entry)), "package.json")
  const { version } = JSON.parse(await fs.readFile(manifest, "utf8"))
  return path.join(os.tmpdir(), `ecl-example-pglite-${version}-empty.tar`)
}

const fromSnapshot = async (file) => {
  try {
    return await PGlite.create({ loadDataDir: new Blob([await fs.readFile(file)]) })
  } catch {
    return undefined
  }
}

const fresh = async (file) => {
  const db = await PGlite.create()
  try {
    const dump = await db.dumpDataDir("none")
    // Write then rename: a concurrent start never reads half a snapshot.
    const partial = `${file}.${process.pid}.${Date.now()}.partial`
    await fs.writeFile(partial, Buffer.from(await dump.arrayBuffer()))
    await fs.rename(partial, file)
  } catch {
    // No snapshot this time; the database itself is fine.
  }
  return db
}

const file = await snapshotPath()
const db = (await fromSnapshot(file)) ?? (await fresh(file))
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
