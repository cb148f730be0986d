/**
 * The soak's chart: one panel per figure over the whole soak — the server's
 * RSS, its heap (used, after each major GC, after each forced full GC), its
 * event-loop delay, its CPU, and the requests per second by status — with
 * each spike's start marked by a dotted rule.
 *
 * Also a CLI: `tsx bench/soak/chart.ts <samples.csv> <out.svg> [title]`
 * re-renders the chart from the samples a soak wrote.
 */
import * as fs from "node:fs/promises"
import type { TopLevelSpec } from "vega-lite"
import { renderSpec } from "../overload/chart.js"
import { parseCsv } from "../load/csv.js"
import type { SoakSecond, SpikeRun } from "./timeline.js"

interface Point {
  readonly t: number
  readonly series: string
  readonly value: number
}

const x = { field: "t", type: "quantitative", title: "Elapsed time (s)", scale: { nice: false } } as const

/** Series name, colour and the `SoakSecond` field it plots, by panel. */
const panels = [
  { title: "Server RSS (MiB, /proc)", unit: "MiB", series: [["RSS", "#4682b4", "rssMb"]] },
  {
    title: "Server heap (MiB): used, left by each major GC, left by the forced full GC after each spike",
    unit: "MiB",
    series: [
      ["heap used", "#c7c7c7", "heapUsedMb"],
      ["after major GC", "#2e8b57", "heapAfterGcMb"],
      ["after full GC", "#d62728", "heapAfterFullGcMb"]
    ]
  },
  {
    title: "Server event-loop delay (ms, per second)",
    unit: "ms",
    series: [["loop max", "#f4c28f", "loopMaxMs"], ["loop p99", "#ff8c00", "loopP99Ms"]]
  },
  { title: "Server CPU (% of one core, /proc)", unit: "%", series: [["CPU", "#9370db", "cpuPct"]] },
  {
    title: "Requests / s by status (every endpoint)",
    unit: "req/s",
    series: [["200", "#4682b4", "ok"], ["503", "#9ecae1", "busy"], ["other", "#d62728", "other"]]
  }
] as const

/** Marked as points, not lines: they are single events, not a continuous signal. */
const pointSeries = new Set<string>(["after major GC", "after full GC"])

/** Each panel its own colours and legend. */
const colorOf = (series: ReadonlyArray<readonly [string, string, ...Array<unknown>]>) => ({
  field: "series",
  type: "nominal" as const,
  title: null,
  scale: { domain: series.map(([name]) => name), range: series.map(([, c]) => c) },
  legend: { orient: "right" as const, labelLimit: 200 }
})

/** The long-format points of the chart (NaN, "no sample", is left out). */
export const soakPoints = (timeline: ReadonlyArray<SoakSecond>): Array<Point> =>
  timeline.flatMap((s) =>
    panels.flatMap((p) =>
      p.series.flatMap(([series, , field]) => (Number.isFinite(s[field]) ? [{ t: s.t, series, value: s[field] }] : []))
    )
  )

/** The vega-lite spec of the soak's chart. */
export const soakChartSpec = (
  timeline: ReadonlyArray<SoakSecond>,
  spikes: ReadonlyArray<Pick<SpikeRun, "spike" | "startS">>,
  title: string
): TopLevelSpec => ({
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  title: { text: title, fontSize: 16 },
  background: "white",
  data: {
    values: [
      ...soakPoints(timeline),
      ...spikes.map((s): Point => ({ t: s.startS, series: "spike start", value: s.spike }))
    ]
  },
  vconcat: panels.map((panel) => {
    const names = panel.series.map(([name]) => name) as ReadonlyArray<string>
    const lines = names.filter((n) => !pointSeries.has(n))
    const points = names.filter((n) => pointSeries.has(n))
    const inSet = (set: ReadonlyArray<string>) => `indexof(${JSON.stringify(set)}, datum.series) >= 0`
    const y = { field: "value", type: "quantitative" as const, title: panel.unit }
    const color = colorOf(panel.series)
    return {
      title: { text: panel.title, anchor: "start" as const, fontSize: 13 },
      width: 1000,
      height: 130,
      layer: [
        {
          transform: [{ filter: "datum.series == 'spike start'" }],
          mark: { type: "rule" as const, strokeDash: [2, 3], color: "#888" },
          encoding: { x }
        },
        ...(lines.length === 0 ? [] : [{
          transform: [{ filter: inSet(lines) }],
          mark: { type: "line" as const, strokeWidth: 1.5 },
          encoding: { x, y, color }
        }]),
        ...(points.length === 0 ? [] : [{
          transform: [{ filter: inSet(points) }],
          mark: { type: "point" as const, filled: true },
          encoding: {
            x,
            y,
            color,
            // The forced full GCs, the verdict's figures, stand out from the routine major GCs.
            size: { condition: { test: "datum.series == 'after full GC'", value: 60 }, value: 16 }
          }
        }])
      ]
    }
  }),
  resolve: { scale: { color: "independent" } },
  config: { axis: { gridDash: [3, 3], gridColor: "#ddd" }, view: { stroke: "#333" } }
})

/** Reads a soak's `samples.csv` back, with each spike's first second. */
export const samplesFromCsv = (
  text: string
): { timeline: Array<SoakSecond>; spikes: Array<Pick<SpikeRun, "spike" | "startS">> } => {
  const timeline = parseCsv(text).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === "" ? Number.NaN : Number(v)])) as unknown as SoakSecond
  )
  const spikes = timeline
    .filter((s, i) => s.spike > 0 && s.spike !== timeline[i - 1]?.spike)
    .map((s) => ({ spike: s.spike, startS: s.t }))
  return { timeline, spikes }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output, title] = process.argv.slice(2)
  if (input === undefined || output === undefined) {
    console.error("usage: tsx bench/soak/chart.ts <samples.csv> <out.svg> [title]")
    process.exit(2)
  }
  const { spikes, timeline } = samplesFromCsv(await fs.readFile(input, "utf8"))
  await fs.writeFile(output, await renderSpec(soakChartSpec(timeline, spikes, title ?? input)))
  console.log(`wrote ${output}`)
}
