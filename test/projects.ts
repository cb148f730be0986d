/**
 * Which vitest project each test file belongs to, by file name, so that a
 * new file lands in one without editing the config:
 *
 * - `services`: needs PostgreSQL or Redis on 127.0.0.1 (`RedisLimiter*`,
 *   `*.redis.test.ts`, `*.services.test.ts`).
 * - `e2e`: a real HTTP server on 127.0.0.1 (`*.e2e.test.ts`, and the two
 *   older files named before the convention).
 * - `stress`: the short versions of the stress commands, the soak, the
 *   config fuzz and the adaptive simulation: long and CPU-heavy
 *   (`stress-*`, `soak*`, `*.fuzz.test.ts`, `*.simulation.test.ts`).
 * - `unit`: everything else: pure code, and effects on the TestClock.
 * - `core`: the tests of the Effect-free core shared by both Effect lines
 *   (packages/core/test), run once, here, under the Effect 3 line's Node.
 *
 * Every file is in exactly one project (test/projects.test.ts checks it).
 */
const services = ["test/**/RedisLimiter*.test.ts", "test/**/*.redis.test.ts", "test/**/*.services.test.ts"]
const e2e = ["test/**/*.e2e.test.ts", "test/http.test.ts", "test/example-server.test.ts"]
const stress = ["test/**/stress-*.test.ts", "test/**/soak*.test.ts", "test/**/*.fuzz.test.ts", "test/**/*.simulation.test.ts"]

/** A project's name and file globs (relative to the repository root). */
export interface Project {
  readonly name: "core" | "unit" | "e2e" | "services" | "stress"
  readonly include: ReadonlyArray<string>
  readonly exclude: ReadonlyArray<string>
}

export const projects: ReadonlyArray<Project> = [
  { name: "core", include: ["packages/core/test/**/*.test.ts"], exclude: [] },
  { name: "unit", include: ["test/**/*.test.ts"], exclude: [...services, ...e2e, ...stress] },
  { name: "e2e", include: e2e, exclude: [] },
  { name: "services", include: services, exclude: [] },
  { name: "stress", include: stress, exclude: [] }
]
