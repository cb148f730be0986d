/**
 * `npm run bench:reject-parts`: what the reject path costs inside the
 * process, without HTTP, part by part. 1,000 fibers loop on an acquisition
 * of a resource whose only permit is held for good, so every attempt waits
 * out a 50 ms timeout and is refused; CPU per refusal from
 * `process.cpuUsage`. Side by side in one run, alternating, medians of
 * `--rounds` rounds:
 *
 * - `guard`: `Limiter.withResources`, the deadline inside the semaphore's wait;
 * - `reference`: the same guard written as `acquireRelease` per resource under
 *   one `Effect.timeoutFail` (test/reference-guard.ts: what the guard did
 *   before the deadline moved into the wait, less its span);
 * - `timeoutFail`: `Effect.timeoutFail` around the semaphore's `take`, alone;
 * - `sleep`: a bare 50 ms sleep and a failure, the floor of any timed refusal.
 *
 * Options: --fibers 1000  --seconds 3  --rounds 3
 */
import { Duration, Effect, Fiber } from "effect"
import { BusyError, Limiter, Resource, Semaphore } from "effect-concurrency-limiter"
import { parseArgs } from "node:util"
import { referenceGuard } from "../../test/reference-guard.js"
import { median } from "../load/aggregate.js"

const { values: args } = parseArgs({
  options: {
    fibers: { type: "string", default: "1000" },
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" }
  }
})
const fibers = Number(args.fibers)
const seconds = Number(args.seconds)
const rounds = Number(args.rounds)

const Held = Resource.make("Held", { capacity: 1 })
const timeout = "50 millis"

const parts = {
  guard: () => Effect.succeed(Effect.void.pipe(Limiter.withResources([Held]))),
  reference: () =>
    Effect.map(Held, (semaphore) => referenceGuard(Effect.void, [{ name: "Held", semaphore }], timeout)),
  timeoutFail: () =>
    Effect.map(Held, (semaphore) =>
      Effect.timeoutFail(semaphore.take(1), {
        duration: timeout,
        onTimeout: () => new BusyError.BusyError({ resource: "Held", waited: Duration.millis(50) })
      })),
  sleep: () => Effect.succeed(Effect.zipRight(Effect.sleep(timeout), Effect.fail("refused")))
} as const

/** Refusals per CPU ms for one part over `seconds`, with its own limiter. */
const measure = (part: keyof typeof parts) =>
  Effect.gen(function*() {
    const held: Semaphore.Semaphore = yield* Held
    yield* held.take(1)
    const attempt: Effect.Effect<unknown, unknown, Limiter.Limiter | Resource.Resource.Identifier<"Held">> =
      yield* parts[part]()
    let refusals = 0
    const deadline = Date.now() + seconds * 1000
    const loop = Effect.whileLoop({
      while: () => Date.now() < deadline,
      body: () => Effect.either(attempt),
      step: () => refusals++
    })
    const cpu0 = process.cpuUsage()
    const running = yield* Effect.forEach(Array.from({ length: fibers }), () => Effect.fork(loop))
    yield* Fiber.joinAll(running)
    const cpu = process.cpuUsage(cpu0)
    return { refusals, cpuMsPerRefusal: (cpu.user + cpu.system) / 1000 / refusals }
  }).pipe(Effect.provide(Limiter.layer({ timeout, resources: [Held] })))

const main = Effect.gen(function*() {
  const names = Object.keys(parts) as Array<keyof typeof parts>
  const results = new Map<string, Array<{ refusals: number; cpuMsPerRefusal: number }>>()
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? names : [...names].reverse()
    for (const name of order) {
      const r = yield* measure(name)
      results.set(name, [...(results.get(name) ?? []), r])
      console.log(`round ${round}, ${name}: ${r.refusals} refusals, ${(r.cpuMsPerRefusal * 1000).toFixed(1)} µs CPU each`)
    }
  }
  const floor = median(results.get("sleep")!.map((r) => r.cpuMsPerRefusal))
  console.log(`\n${fibers} fibers, ${timeout} timeout, ${seconds} s per round, medians of ${rounds} rounds\n`)
  console.log("| part | refusals per round | CPU per refusal (µs) | ÷ bare sleep |")
  console.log("| --- | --- | --- | --- |")
  for (const name of names) {
    const rs = results.get(name)!
    const cpu = median(rs.map((r) => r.cpuMsPerRefusal))
    console.log(
      `| ${name} | ${median(rs.map((r) => r.refusals)).toFixed(0)} | ${(cpu * 1000).toFixed(1)} | ${(cpu / floor).toFixed(2)} |`
    )
  }
})

Effect.runPromise(main)
