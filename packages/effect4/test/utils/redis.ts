/**
 * Redis for the RedisLimiter tests: whether one is reachable, a key prefix
 * of each test's own (so tests never share a queue), the cleanup of its
 * keys, raw reads of Redis (node-redis, beside the limiter's own client),
 * and a `redis-server` of a test's own on a spare port, to stop and start.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Net from "node:net"
import { createClient } from "redis"

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
  `ecl4test-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

/** A connected client for the test's own reads and writes; `close` it after. */
export const client = async (url = REDIS_URL) => {
  const redis = createClient({ url, socket: { reconnectStrategy: false } })
  redis.on("error", () => {})
  await redis.connect()
  return redis
}

/** Runs `f` on a client of its own. */
export const withClient = async <A>(f: (redis: Awaited<ReturnType<typeof client>>) => Promise<A>, url = REDIS_URL): Promise<A> => {
  const redis = await client(url)
  try {
    return await f(redis)
  } finally {
    redis.destroy()
  }
}

/** Deletes every key under `prefix`. */
export const cleanKeys = (prefix: string, url = REDIS_URL): Promise<void> =>
  withClient(async (redis) => {
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
      if (keys.length > 0) await redis.del(keys)
    }
  }, url)

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

/** Whether this machine can start a `redis-server` of a test's own. */
export const redisServer = "/usr/bin/redis-server"

/** A `redis-server` of the test's own, without persistence: a restart loses every key. */
export class OwnRedis {
  private process: ChildProcess | undefined
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.process = spawn(redisServer, ["--port", String(this.port), "--save", "", "--appendonly", "no"], {
      stdio: "ignore"
    })
    for (let i = 0; i < 100; i++) {
      if (await reachable(this.port)) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`redis-server did not start on port ${this.port}`)
  }

  /** Kills it (SIGKILL) and waits until it has exited. */
  async kill(): Promise<void> {
    const process = this.process
    if (process === undefined) return
    this.process = undefined
    const exited = new Promise((r) => process.once("exit", r))
    process.kill("SIGKILL")
    await exited
  }
}
