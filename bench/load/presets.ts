/**
 * The benchmark's scenarios: the Python library's k6 script (`full`, 151 s)
 * and a one-minute version of the same shape for `npm run demo`.
 */
import { constantScenario, type Scenario, type SpikeWindow, spikeScenario } from "./stages.js"

/** Both scenarios of one run and where the spike sits. */
export interface Preset {
  readonly name: "full" | "demo"
  readonly scenarios: ReadonlyArray<Scenario>
  readonly spike: SpikeWindow
  readonly durationMs: number
}

const s = (seconds: number) => seconds * 1000

/**
 * `full`: 10 VUs for 30 s, ramp to `peak` over 60 s, drop to 10 in 1 s, hold
 * 10 for 60 s; meanwhile 2 VUs loop on /file for the whole 151 s.
 * `demo`: the same shape in 60 s (10 s, 25 s, 1 s, 24 s).
 */
export const preset = (name: "full" | "demo", peak: number, scale = 1): Preset => {
  // `scale` shortens every stage (smoke tests); the published runs use 1.
  const [hold, ramp, drop, tail] = (name === "full" ? [30, 60, 1, 60] : [10, 25, 1, 24]).map((x) =>
    Math.max(1, Math.round(x * scale))
  ) as [number, number, number, number]
  const durationMs = s(hold + ramp + drop + tail)
  const { scenario: messages, spike } = spikeScenario({
    name: "/messages",
    path: "/messages",
    base: 10,
    peak,
    holdMs: s(hold),
    rampMs: s(ramp),
    dropMs: s(drop),
    tailMs: s(tail)
  })
  const file = constantScenario({ name: "/file", path: "/file", vus: 2, durationMs })
  return { name, scenarios: [messages, file], spike, durationMs }
}
