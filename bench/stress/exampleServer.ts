/**
 * The example server as the stress scripts run it: built to plain
 * JavaScript, on the embedded database, `Db` at capacity 5, with the
 * inspector open on an ephemeral port of 127.0.0.1 for the forced GCs that
 * tell garbage from memory still held (`inspector.ts`; it idles otherwise).
 */
import { buildServer } from "../shared/build.js"
import { freePort, type ServerHandle, startServer } from "../shared/server.js"

/** A started stress server and the port it listens on. */
export interface StressServer {
  readonly server: ServerHandle
  readonly port: number
}

/** Builds the example into `.bench-out/<name>-build` and starts it with the given limiter timeout. */
export const startStressServer = async (name: string, limiterTimeout: string): Promise<StressServer> => {
  const built = await buildServer(`.bench-out/${name}-build`)
  const port = await freePort()
  const server = await startServer({
    entry: built.entry,
    port,
    env: { DB_CONCURRENCY: "5", LIMITER_TIMEOUT: limiterTimeout, DATABASE_URL: undefined, LIMITER_REDIS_URL: undefined },
    readyPath: "/metrics",
    readyTimeoutMs: 120_000,
    nodeFlags: ["--inspect=127.0.0.1:0"]
  })
  return { server, port }
}
