/**
 * What the spike cost the server: its CPU over the spike window and the 503s
 * it answered in that window. Pure, unit-tested.
 *
 * The CPU is the server's own utime + stime from /proc (`../shared/procstat.ts`), the
 * measure of `bench:reject`'s "CPU per 503" — but gross: the server also
 * answers /file and the 200s in the same seconds, and there is no idle
 * baseline to subtract in this benchmark. Compare it between modes, not with
 * `bench:reject`'s net figure.
 */
import type { ProcessSample } from "../shared/procstat.js"
import type { SecondRow } from "./aggregate.js"
import type { SpikeWindow } from "./stages.js"

/** The server's cost over the spike window. */
export interface SpikeCost {
  /** Seconds in the window (those with a process sample). */
  readonly seconds: number
  /** The server's CPU over the window, ms. */
  readonly serverCpuMs: number
  /** /messages' 503s answered in the window. */
  readonly busy: number
}

/** Inputs of {@link spikeCost}. */
export interface SpikeCostInput {
  readonly rows: ReadonlyArray<SecondRow>
  /** One sample per second; `serverCpuPct` is % of one core over that second. */
  readonly samples: ReadonlyArray<Pick<ProcessSample, "t" | "serverCpuPct">>
  readonly spike: SpikeWindow
  readonly limiterTimeoutMs: number
  readonly messagesEndpoint?: string
}

/**
 * The window is acceptance's (`evaluate`): from the spike's first second to
 * its end plus one limiter timeout, while requests queued at the peak are
 * still answered. A sample's `t` is the second since sampling began, which
 * starts just before the load, so it lines up with the rows' `t` to well
 * within a second.
 */
export const spikeCost = (input: SpikeCostInput): SpikeCost => {
  const fromS = Math.floor(input.spike.startMs / 1000)
  const untilS = Math.ceil(input.spike.endMs / 1000) + Math.ceil(input.limiterTimeoutMs / 1000)
  const inWindow = (t: number) => t >= fromS && t < untilS
  const samples = input.samples.filter((s) => inWindow(s.t) && Number.isFinite(s.serverCpuPct))
  const name = input.messagesEndpoint ?? "/messages"
  return {
    seconds: samples.length,
    // % of one core over one second = 10 ms per percent.
    serverCpuMs: samples.reduce((a, s) => a + s.serverCpuPct * 10, 0),
    busy: input.rows.filter((r) => r.endpoint === name && inWindow(r.t)).reduce((a, r) => a + r.busy, 0)
  }
}
