/**
 * Redis for the RedisLimiter tests: whether one is reachable, a key prefix
 * of each test's own (so tests never share a queue), the cleanup of its
 * keys, and a `redis-server` of a test's own on a spare port, to restart.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Net from "node:net"
import { Redis } from "ioredis"

/** The machine's Redis, as CI has it. */
export const REDIS_URL = "redis://127.0.0.1:6379"

/** Whether something accepts connections at 127.0.0.1:`port`. */
export const reachable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = Net.connect({ host: "127.0.0.1", port, timeout: 500 })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once("connect", () => done(true)).once("timeout", () => done(false)).once("error", () => done(false))
  })

/** A key prefix no other test (or run) uses. */
export const uniquePrefix = (name: string): string =>
  `ecltest-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

/** Deletes every key under `prefix`. */
export const cleanKeys = async (prefix: string, url = REDIS_URL): Promise<void> => {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await client.connect()
    let cursor = "0"
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== "0")
  } finally {
    client.disconnect()
  }
}

/** A client for the test's own reads of Redis. */
export const client = (url = REDIS_URL): Redis => new Redis(url, { maxRetriesPerRequest: 1 })

/** A free TCP port on 127.0.0.1. */
export const sparePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** A `redis-server` of the test's own, without persistence: a restart loses every key. */
export class OwnRedis {
  private process: ChildProcess | undefined
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.process = spawn("/usr/bin/redis-server", ["--port", String(this.port), "--save", "", "--appendonly", "no"], {
      stdio: "ignore"
    })
    for (let i = 0; i < 100; i++) {
      if (await reachable(this.port)) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  /** Kills it (SIGKILL) and waits until its port is closed. */
  async kill(): Promise<void> {
    const process = this.process
    if (process === undefined) return
    this.process = undefined
    const exited = new Promise((r) => process.once("exit", r))
    process.kill("SIGKILL")
    await exited
  }
}
