/**
 * Starts the example app (or any server entry) as a child process and waits
 * until it answers. A `.ts` entry runs as `node --import tsx <entry>` rather
 * than through the `tsx` CLI, which would fork a second process and hide the
 * server's RSS; a `.js`/`.mjs` entry (the benchmark's build, see `build.ts`)
 * runs under plain `node`. With `cpus`, the child is started under
 * `taskset -c <cpus>` (taskset execs, so the pid is the server's).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import { onExit } from "./on-exit.js"

/** A running server child. */
export interface ServerHandle {
  readonly pid: number
  readonly baseUrl: string
  /** The last `lines` (default 30, at most 5000) lines the server printed, for error reports. */
  readonly logTail: (lines?: number) => string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  readonly stop: (graceMs?: number) => Promise<void>
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })

/** Options of {@link startServer}. */
export interface StartOptions {
  readonly entry: string
  readonly port: number
  /** Variables added to (or, when `undefined`, removed from) the inherited environment. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Path answered with 2xx once the server is ready. */
  readonly readyPath: string
  readonly readyTimeoutMs: number
  readonly cwd?: string
  /** A CPU list for `taskset -c` (e.g. "0"): pins the server to those cores. */
  readonly cpus?: string
  /** Flags for node itself, before the entry (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  readonly nodeFlags?: ReadonlyArray<string>
  /** The node binary (default: the one running this process); the Effect 4 line needs Node >= 22.19. */
  readonly node?: string
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once("exit", () => resolve())
  })

/** Spawns the server and resolves when `readyPath` answers 2xx. */
export const startServer = async (options: StartOptions): Promise<ServerHandle> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  for (const [k, v] of Object.entries(options.env)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  env.PORT = String(options.port)
  env.HOST = "127.0.0.1"
  const nodeArgs = [
    ...(options.nodeFlags ?? []),
    ...(/\.m?js$/.test(options.entry) ? [options.entry] : ["--import", "tsx", options.entry])
  ]
  const node = options.node ?? process.execPath
  const [command, argv] = options.cpus === undefined
    ? [node, nodeArgs]
    : ["taskset", ["-c", options.cpus, node, ...nodeArgs]]
  const child = spawn(command, argv, {
    cwd: options.cwd ?? process.cwd(),
    env,
    stdio: ["ignore", "pipe", "pipe"]
  })
  // Stopped with the benchmark, even when it is stopped by a signal.
  const forget = onExit(() => child.kill("SIGKILL"))
  child.once("exit", forget)
  const lines: Array<string> = []
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n").filter((l) => l.length > 0))
    if (lines.length > 5000) lines.splice(0, lines.length - 5000)
  }
  child.stdout!.on("data", keep)
  child.stderr!.on("data", keep)
  const baseUrl = `http://127.0.0.1:${options.port}`
  const handle: ServerHandle = {
    pid: child.pid!,
    baseUrl,
    logTail: (n = 30) => lines.slice(-n).join("\n"),
    stop: async (graceMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const done = exited(child)
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
      await done
      clearTimeout(timer)
    }
  }
  const deadline = Date.now() + options.readyTimeoutMs
  // Bounded poll: one attempt every 250 ms until the deadline.
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${handle.logTail()}`)
    try {
      const response = await fetch(`${baseUrl}${options.readyPath}`, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.ok) return handle
    } catch {
      // not listening yet
    }
    await sleep(250)
  }
  await handle.stop()
  throw new Error(`server not ready after ${options.readyTimeoutMs} ms:\n${handle.logTail()}`)
}
