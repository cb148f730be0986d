/**
 * One client connection for the stress runs: a raw `net` socket that, once
 * told to, writes one HTTP/1.1 GET and reads one response, with nothing
 * between it and the kernel. Connecting and sending are separate steps, so
 * that every connection can be open before any request is sent. `http.request` would pool sockets, retry, and hide whether the
 * server reset the connection or merely closed it; here every way a
 * connection can end is told apart.
 */
import * as net from "node:net"
import { performance } from "node:perf_hooks"

/** How a request ended, seen from the client. */
export type Outcome =
  | { readonly kind: "ok" } // 200
  | { readonly kind: "busy"; readonly wellFormed: boolean } // 503: `wellFormed` = the limiter's body and a Retry-After
  | { readonly kind: "status"; readonly status: number } // any other status
  | { readonly kind: "error"; readonly code: string } // ECONNRESET, EPIPE, ECONNREFUSED, "closed" (by the server, before a response), "timeout"
  | { readonly kind: "aborted" } // destroyed by us before a response (the disconnect storm)

/** The body of the limiter's 503 (`BusyError.responseBody`). */
export const busyBody = "{\"detail\":\"Server busy, please retry later\"}"

/** Options of {@link open}. */
export interface OpenOptions {
  readonly host: string
  readonly port: number
  readonly path: string
  /** A request with no response after this long ends as `timeout`. */
  readonly responseTimeoutMs: number
}

/** A connection in progress. */
export interface Connection {
  /** Resolves once connected, with how long the handshake took (a SYN retry shows as ≥ 1 s); rejects with the socket error. */
  readonly connected: Promise<number>
  /** Writes the request (keep-alive, so the socket outlives the response until `end`); once connected, and only once. */
  readonly send: () => void
  /** Resolves when the request has ended, however it ended; never rejects. */
  readonly outcome: Promise<Outcome>
  /** Milliseconds from the write to the end of the response (NaN until then). */
  readonly latencyMs: () => number
  /** Whether the socket is still open (it stays open after the response: the server keeps it alive). */
  readonly isOpen: () => boolean
  /** Resolves once the socket has closed. */
  readonly closed: Promise<void>
  /** Ends the connection gracefully (FIN), once the response is in. */
  readonly end: () => void
  /** Drops the connection at once: the client going away mid-request. */
  readonly destroy: () => void
}

interface Head {
  readonly status: number
  readonly headers: ReadonlyMap<string, string>
  readonly bodyStart: number
}

const parseHead = (buffer: Buffer): Head | undefined => {
  const end = buffer.indexOf("\r\n\r\n")
  if (end < 0) return undefined
  const lines = buffer.subarray(0, end).toString("latin1").split("\r\n")
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? Number.NaN)
  const headers = new Map<string, string>()
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":")
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return { status, headers, bodyStart: end + 4 }
}

/** The body once complete: by Content-Length, or the last chunk of a chunked one (its size lines kept). */
const completeBody = (head: Head, buffer: Buffer): string | undefined => {
  const body = buffer.subarray(head.bodyStart)
  const length = head.headers.get("content-length")
  if (length !== undefined) return body.length >= Number(length) ? body.subarray(0, Number(length)).toString("utf8") : undefined
  if (head.headers.get("transfer-encoding") === "chunked") {
    const text = body.toString("utf8")
    return text.endsWith("0\r\n\r\n") ? text.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, "$1").replace(/\r\n/g, "") : undefined
  }
  return undefined
}

const classify = (head: Head, body: string): Outcome => {
  if (head.status === 200) return { kind: "ok" }
  if (head.status === 503) {
    const retryAfter = Number(head.headers.get("retry-after"))
    return { kind: "busy", wellFormed: body === busyBody && Number.isInteger(retryAfter) && retryAfter >= 0 }
  }
  return { kind: "status", status: head.status }
}

/** Connects; `send` then writes `GET path` and the response is read. */
export const open = (options: OpenOptions): Connection => {
  const socket = net.connect({ host: options.host, port: options.port })
  socket.setNoDelay(true)
  const startedAt = performance.now()
  let writtenAt = Number.NaN
  let latency = Number.NaN
  let settled = false
  let resolveOutcome!: (outcome: Outcome) => void
  const outcome = new Promise<Outcome>((resolve) => (resolveOutcome = resolve))
  let timer: NodeJS.Timeout | undefined
  const settle = (result: Outcome) => {
    if (settled) return
    settled = true
    latency = performance.now() - writtenAt
    clearTimeout(timer)
    resolveOutcome(result)
  }
  const connected = new Promise<number>((resolve, reject) => {
    socket.once("connect", () => {
      resolve(performance.now() - startedAt)
    })
    socket.once("error", reject)
  })
  connected.catch(() => undefined)
  let buffer: Buffer = Buffer.alloc(0)
  let head: Head | undefined
  socket.on("data", (chunk: Buffer) => {
    if (settled) return
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
    head ??= parseHead(buffer)
    if (head === undefined) return
    const body = completeBody(head, buffer)
    if (body !== undefined) settle(classify(head, body))
  })
  socket.on("error", (error: NodeJS.ErrnoException) => settle({ kind: "error", code: error.code ?? error.message }))
  let open = true
  const closed = new Promise<void>((resolve) =>
    socket.once("close", () => {
      open = false
      settle({ kind: "error", code: "closed" })
      resolve()
    })
  )
  return {
    connected,
    send: () => {
      if (settled || !Number.isNaN(writtenAt)) return
      writtenAt = performance.now()
      socket.write(`GET ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nConnection: keep-alive\r\n\r\n`)
      timer = setTimeout(() => settle({ kind: "error", code: "timeout" }), options.responseTimeoutMs)
    },
    outcome,
    latencyMs: () => latency,
    isOpen: () => open,
    closed,
    end: () => socket.end(),
    destroy: () => {
      settle({ kind: "aborted" })
      socket.destroy()
    }
  }
}
