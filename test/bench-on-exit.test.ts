import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

/** Whether a process with this pid is alive (signal 0 tests without sending). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const repo = path.resolve(import.meta.dirname, "..")

describe("a benchmark stopped by a signal", () => {
  it("stops the server child it started, and exits as the signal would have", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ecl-on-exit-"))
    const pidFile = path.join(dir, "server.pid")
    // A server that answers every request, started through the benchmark's own startServer.
    const serverFile = path.join(dir, "server.mjs")
    fs.writeFileSync(
      serverFile,
      `import { createServer } from "node:http"
       createServer((_, res) => res.end("ok")).listen(Number(process.env.PORT), "127.0.0.1")`
    )
    const benchFile = path.join(dir, "bench.mts")
    fs.writeFileSync(
      benchFile,
      `import * as fs from "node:fs"
       import { freePort, startServer } from ${JSON.stringify(path.join(repo, "bench/shared/server.ts"))}
       const server = await startServer({ entry: ${JSON.stringify(serverFile)}, port: await freePort(), env: {}, readyPath: "/", readyTimeoutMs: 20_000 })
       fs.writeFileSync(${JSON.stringify(pidFile)}, String(server.pid))
       setInterval(() => {}, 1000)`
    )
    const bench = spawn(process.execPath, ["--import", "tsx", benchFile], { cwd: repo, stdio: "ignore" })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      bench.once("exit", (code, signal) => resolve({ code, signal }))
    )
    try {
      // Bounded wait for the server to be up (tsx's start-up on a loaded machine included).
      for (let i = 0; i < 600 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50))
      const serverPid = Number(fs.readFileSync(pidFile, "utf8"))
      expect(alive(serverPid)).toBe(true)
      bench.kill("SIGTERM")
      expect(await exited).toEqual({ code: 128 + os.constants.signals.SIGTERM, signal: null })
      // SIGKILL is delivered at once; the kernel reaps it within moments.
      for (let i = 0; i < 100 && alive(serverPid); i++) await new Promise((r) => setTimeout(r, 20))
      expect(alive(serverPid)).toBe(false)
    } finally {
      bench.kill("SIGKILL")
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
