/**
 * A GET on a connection of its own, closed after the response
 * (`Connection: close`): the run's own requests (warm-up, `/metrics`
 * scrapes, the probe after a storm) leave no keep-alive connection behind
 * in the server, so its descriptor count is the stress clients' alone.
 */
import * as http from "node:http"

/** Status and body of `GET url`; rejects on a network error or after `timeoutMs`. */
export const httpGet = (url: string, timeoutMs = 30_000): Promise<{ readonly status: number; readonly body: string }> =>
  new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs, headers: { connection: "close" } }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
      response.on("error", reject)
    })
    request.on("timeout", () => request.destroy(new Error(`GET ${url}: no response after ${timeoutMs} ms`)))
    request.on("error", reject)
  })
