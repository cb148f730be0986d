import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as HttpServer from "effect/http/HttpServer"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import * as Net from "node:net"

/**
 * A real Node HTTP server on an ephemeral port on 127.0.0.1, and an
 * `HttpClient` whose relative URLs point at it.
 */
export const TestServer = HttpServer.layerTestClient.pipe(
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
)

/** A response as it came off the socket: the status line, the header lines, the body. */
export interface RawResponse {
  readonly statusLine: string
  /** In the order the server wrote them, names as written. */
  readonly headerLines: ReadonlyArray<string>
  readonly body: string
}

/**
 * GETs `path` from the test server over a bare TCP socket, so that the test
 * sees the bytes the server wrote, not a client's reading of them.
 * HTTP/1.0 with `Connection: close`: the server closes after one response
 * and sends no chunked encoding.
 */
export const rawGet = (path: string): Effect.Effect<RawResponse, Error, HttpServer.HttpServer> =>
  Effect.flatMap(HttpServer.HttpServer, (server) => {
    const address = server.address
    // The server listens on 127.0.0.1 (TestServer): only its port is needed.
    if (address._tag === "UnixPathAddress") return Effect.fail(new Error("not a TCP server"))
    return Effect.callback<RawResponse, Error>((resume) => {
      const chunks: Array<Buffer> = []
      const socket = Net.connect({ host: "127.0.0.1", port: address.port }, () => {
        socket.end(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
      })
      socket.on("data", (chunk) => chunks.push(chunk))
      socket.on("error", (error) => resume(Effect.fail(error)))
      socket.on("end", () => {
        const text = Buffer.concat(chunks).toString("latin1")
        const split = text.indexOf("\r\n\r\n")
        const [statusLine, ...headerLines] = text.slice(0, split).split("\r\n")
        resume(Effect.succeed({ statusLine, headerLines, body: text.slice(split + 4) }))
      })
      return Effect.sync(() => socket.destroy())
    })
  })
