/**
 * A full garbage collection in the server, asked for from outside through
 * the V8 inspector (the server runs with `--inspect=127.0.0.1:0`).
 *
 * V8 runs a major GC when the old generation grows towards its limit, not
 * when a process goes quiet: after a wave the garbage of 10,000 requests can
 * sit in the old generation, counted in RSS, for as long as the server stays
 * idle. A forced GC tells that garbage from memory still reachable (a leak),
 * which is what the settle check is about.
 */
import { WebSocket } from "undici"

/** The inspector's WebSocket URL, from the "Debugger listening on ws://..." line the server printed. */
export const inspectorUrl = (log: string): string | undefined => /Debugger listening on (ws:\/\/\S+)/.exec(log)?.[1]

/** `process.memoryUsage()` of the server, in MiB. */
export interface MemoryUsage {
  readonly rss: number
  readonly heapTotal: number
  readonly heapUsed: number
  readonly external: number
  readonly arrayBuffers: number
}

/** Runs `HeapProfiler.collectGarbage`, then returns the server's `process.memoryUsage()`. */
export const collectGarbage = (url: string, timeoutMs = 30_000): Promise<MemoryUsage> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`inspector: no answer after ${timeoutMs} ms`))
    }, timeoutMs)
    socket.addEventListener("error", () => reject(new Error(`inspector: cannot connect to ${url}`)))
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ id: 1, method: "HeapProfiler.collectGarbage" }))
    })
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: { result?: { value?: string } } }
      if (message.id === 1) {
        socket.send(JSON.stringify({
          id: 2,
          method: "Runtime.evaluate",
          params: { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true }
        }))
      } else if (message.id === 2) {
        clearTimeout(timer)
        socket.close()
        const bytes = JSON.parse(message.result?.result?.value ?? "{}") as Record<keyof MemoryUsage, number>
        const mib = (n: number) => n / 2 ** 20
        resolve({
          rss: mib(bytes.rss),
          heapTotal: mib(bytes.heapTotal),
          heapUsed: mib(bytes.heapUsed),
          external: mib(bytes.external),
          arrayBuffers: mib(bytes.arrayBuffers)
        })
      }
    })
  })
