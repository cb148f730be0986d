/**
 * The `Db` capacity over a run, read once a second from the server's
 * `/metrics` (the `limiter_capacity` gauge): the adaptive mode's limit over
 * time, and the fixed capacity of the others.
 */

/** The capacity at `t` seconds since the load started. */
export interface CapacitySample {
  readonly t: number
  readonly capacity: number
}

/** The `limiter_capacity` of `resource` in a Prometheus text, or `undefined` when absent. */
export const capacityOf = (text: string, resource: string): number | undefined => {
  for (const line of text.split("\n")) {
    if (!line.startsWith("limiter_capacity{") || !line.includes(`resource="${resource}"`)) continue
    // `name{labels} value [timestamp]`
    const value = Number(line.slice(line.indexOf("} ") + 2).split(" ")[0])
    if (Number.isFinite(value)) return value
  }
  return undefined
}

/**
 * Polls `baseUrl/metrics` every second until `stop`; a scrape that fails or
 * lacks the gauge is skipped (the server may not be up yet, or be busy).
 */
export const sampleCapacity = (baseUrl: string, resource: string): { readonly stop: () => ReadonlyArray<CapacitySample> } => {
  const started = Date.now()
  const samples: Array<CapacitySample> = []
  let stopped = false
  const tick = async () => {
    try {
      const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(900) })
      const capacity = capacityOf(await response.text(), resource)
      if (!stopped && capacity !== undefined) samples.push({ t: (Date.now() - started) / 1000, capacity })
    } catch {
      // skipped: see above
    }
  }
  const timer = setInterval(() => void tick(), 1000)
  return {
    stop: () => {
      stopped = true
      clearInterval(timer)
      return samples
    }
  }
}

/** The median capacity over samples in [from, until) seconds; NaN if none. */
export const medianCapacity = (samples: ReadonlyArray<CapacitySample>, from: number, until: number): number => {
  const values = samples.filter((s) => s.t >= from && s.t < until).map((s) => s.capacity).sort((a, b) => a - b)
  if (values.length === 0) return Number.NaN
  const mid = values.length >> 1
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2
}
