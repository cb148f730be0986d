/**
 * Benchmark charts in the style of the Python library's: requests/s per
 * endpoint as lines, failures shaded, VUs dashed on a right axis, one panel
 * per endpoint. Built as a
 * vega-lite spec and rendered to SVG by vega headless (no canvas needed).
 *
 * Also a CLI: `tsx bench/overload/chart.ts <run.csv> <out.svg> [title]` re-renders a
 * chart from a CSV written by the benchmark.
 */
import * as fs from "node:fs/promises"
import * as vega from "vega"
import type { TopLevelSpec } from "vega-lite"
import * as vl from "vega-lite"
import type { SecondRow } from "../load/aggregate.js"
import type { CapacitySample } from "../load/capacity.js"
import { secondsFromCsv, serverSecondsFromCsv } from "../load/csv.js"
import type { ServerSecond } from "../load/server-seconds.js"

interface Point {
  readonly t: number
  readonly series: string
  readonly value: number
}

// Order fixes the legend; colours follow the seed charts.
const series = [
  ["/messages req/s", "#4682b4"],
  ["/file req/s", "#2e8b57"],
  ["/messages 503/s", "#9ecae1"],
  ["/messages timeouts+errors/s", "#d62728"],
  ["/file failed/s", "#a1d99b"],
  ["/messages VUs", "#ff8c00"],
  ["/file VUs", "#9370db"],
  ["server GC pause ms/s", "#bdbdbd"],
  ["server loop delay p99 ms", "#e377c2"],
  ["server loop delay max ms", "#7f7f7f"]
] as const

/** Turns per-second rows into the long-format points the spec plots. */
export const chartPoints = (rows: ReadonlyArray<SecondRow>): ReadonlyArray<Point> =>
  rows.flatMap((r): Array<Point> => {
    const failed = r.busy + r.timeouts + r.errors
    if (r.endpoint === "/messages") {
      return [
        { t: r.t, series: "/messages req/s", value: r.requests },
        { t: r.t, series: "/messages 503/s", value: r.busy },
        { t: r.t, series: "/messages timeouts+errors/s", value: r.timeouts + r.errors },
        { t: r.t, series: "/messages VUs", value: r.vus }
      ]
    }
    return [
      { t: r.t, series: `${r.endpoint} req/s`, value: r.requests },
      { t: r.t, series: `${r.endpoint} failed/s`, value: failed },
      { t: r.t, series: `${r.endpoint} VUs`, value: r.vus }
    ]
  })

const x = { field: "t", type: "quantitative", title: "Elapsed time (s)" } as const

const color = {
  field: "series",
  type: "nominal",
  title: null,
  scale: { domain: series.map(([name]) => name), range: series.map(([, c]) => c) },
  legend: { orient: "bottom", direction: "horizontal", columns: 4, labelLimit: 400, symbolType: "stroke", symbolStrokeWidth: 3 }
} as const

/**
 * One endpoint's panel in the seed's style: its requests/s as a line, its
 * failures shaded, its VUs dashed on a right axis.
 */
const panel = (endpoint: string, height: number) => {
  const mine = `indexof(datum.series, '${endpoint} ') == 0`
  return {
    title: { text: endpoint, anchor: "start" as const, fontSize: 13 },
    width: 1000,
    height,
    layer: [
      {
        layer: [
          {
            transform: [{ filter: `${mine} && indexof(datum.series, '/s') > 0 && indexof(datum.series, 'req/s') < 0` }],
            mark: { type: "area" as const, opacity: 0.45, line: false },
            encoding: { x, y: { field: "value", type: "quantitative" as const, stack: null, title: "Requests / s" }, color }
          },
          {
            transform: [{ filter: `${mine} && indexof(datum.series, 'req/s') > 0` }],
            mark: { type: "line" as const, strokeWidth: 2 },
            encoding: { x, y: { field: "value", type: "quantitative" as const, title: "Requests / s" }, color }
          }
        ]
      },
      {
        transform: [{ filter: `${mine} && indexof(datum.series, 'VUs') > 0` }],
        mark: { type: "line" as const, strokeDash: [6, 4], strokeWidth: 2 },
        encoding: {
          x,
          y: {
            field: "value",
            type: "quantitative" as const,
            title: "Virtual users",
            axis: { orient: "right" as const, grid: false }
          },
          color
        }
      }
    ],
    resolve: { scale: { y: "independent" as const } }
  }
}

/** The server's points: its event-loop delay (p99, max) and GC pause time, per second. */
export const serverPoints = (seconds: ReadonlyArray<ServerSecond>): ReadonlyArray<Point> =>
  seconds.flatMap((s): Array<Point> => [
    { t: s.t, series: "server GC pause ms/s", value: s.gcPauseMs },
    { t: s.t, series: "server loop delay p99 ms", value: s.loopP99Ms },
    { t: s.t, series: "server loop delay max ms", value: s.loopMaxMs }
  ]).filter((p) => Number.isFinite(p.value))

/**
 * The server under test, from its probe: GC pause time per second shaded,
 * event-loop delay p99 and max as lines, all in milliseconds — a stall of
 * the loop shows here in the second `/file` slows down.
 */
const serverPanel = {
  title: { text: "Server: event-loop delay and GC pauses (per second)", anchor: "start" as const, fontSize: 13 },
  width: 1000,
  height: 140,
  layer: [
    {
      transform: [{ filter: "datum.series == 'server GC pause ms/s'" }],
      mark: { type: "area" as const, opacity: 0.5, line: false, interpolate: "step-after" as const },
      encoding: { x, y: { field: "value", type: "quantitative" as const, stack: null, title: "ms" }, color }
    },
    {
      transform: [{ filter: "indexof(datum.series, 'server loop delay') == 0" }],
      mark: { type: "line" as const, strokeWidth: 1.5 },
      encoding: { x, y: { field: "value", type: "quantitative" as const, title: "ms" }, color }
    }
  ]
}

/** The `Db` capacity over the run, as a step line: the adaptive limit moving, or the fixed one. */
const capacityPanel = {
  title: { text: "Db capacity (limiter_capacity, sampled every second)", anchor: "start" as const, fontSize: 13 },
  width: 1000,
  height: 120,
  transform: [{ filter: "datum.series == 'Db capacity'" }],
  mark: { type: "line" as const, interpolate: "step-after" as const, strokeWidth: 2, color: "#8c564b" },
  encoding: { x, y: { field: "value", type: "quantitative" as const, title: "Permits" } }
}

/**
 * The vega-lite spec of one run's chart: `/messages` above, `/file` below,
 * each on its own scale — `/file` runs at ~1,000 requests per second and
 * would flatten `/messages`' ~10 successes per second on a shared axis —
 * then, when given, the server's event-loop delay and GC pauses, and the
 * `Db` capacity over time at the bottom.
 */
export const chartSpec = (
  rows: ReadonlyArray<SecondRow>,
  title: string,
  capacity: ReadonlyArray<CapacitySample> = [],
  server: ReadonlyArray<ServerSecond> = []
): TopLevelSpec => ({
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  title: { text: title, fontSize: 16 },
  background: "white",
  data: {
    values: [
      ...chartPoints(rows),
      ...capacity.map((c): Point => ({ t: c.t, series: "Db capacity", value: c.capacity })),
      ...serverPoints(server)
    ] as Array<Point>
  },
  vconcat: [
    panel("/messages", 300),
    panel("/file", 160),
    ...(server.length > 0 ? [serverPanel] : []),
    ...(capacity.length > 0 ? [capacityPanel] : [])
  ],
  config: { axis: { gridDash: [3, 3], gridColor: "#ddd" }, view: { stroke: "#333" } }
})

/** Renders any vega-lite spec to an SVG string (vega headless, no canvas). */
export const renderSpec = async (spec: TopLevelSpec): Promise<string> => {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** Renders a run's chart to an SVG string. */
export const renderChart = (
  rows: ReadonlyArray<SecondRow>,
  title: string,
  capacity: ReadonlyArray<CapacitySample> = [],
  server: ReadonlyArray<ServerSecond> = []
): Promise<string> => renderSpec(chartSpec(rows, title, capacity, server))

/** Renders and writes a chart to `file`. */
export const writeChart = async (
  file: string,
  rows: ReadonlyArray<SecondRow>,
  title: string,
  capacity: ReadonlyArray<CapacitySample> = [],
  server: ReadonlyArray<ServerSecond> = []
): Promise<void> => {
  await fs.writeFile(file, await renderChart(rows, title, capacity, server))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output, title] = process.argv.slice(2)
  if (input === undefined || output === undefined) {
    console.error("usage: tsx bench/overload/chart.ts <run.csv> <out.svg> [title]")
    process.exit(2)
  }
  const text = await fs.readFile(input, "utf8")
  await writeChart(output, secondsFromCsv(text), title ?? input, [], serverSecondsFromCsv(text))
  console.log(`wrote ${output}`)
}
