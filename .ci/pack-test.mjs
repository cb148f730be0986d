// The package as a user gets it. From the repository root (`bash .ci/pack-test`):
//
//  1. `npm pack` (its prepack builds a clean dist) into a temporary directory;
//     the tarball holds every target of `exports`, the licence, README and
//     changelog, and none of the repository's tests, benchmarks or CI.
//  2. A fresh project in a temporary directory outside the repository
//     (`npm init -y`, "type": "module"): the README's install line as written,
//     with the tarball in place of the package name, then TypeScript and
//     Node's types. npm must print no peer-dependency warning (nor ERESOLVE),
//     and `npm ls --all` must be clean. Every package resolves inside the
//     project, and `ioredis` (an optional peer) is not installed.
//  3. `tsc` with `skipLibCheck: false` under NodeNext, under ESNext + Bundler
//     and under node10 resolution, on the README's quick start (as written),
//     a file importing every public subpath, and a file whose deep imports of
//     internal modules must be errors (`@ts-expect-error`).
//  4. At run time: every subpath is the module the root entry re-exports, a
//     deep import fails with ERR_PACKAGE_PATH_NOT_EXPORTED, and the quick
//     start, run as written on a free port, answers two concurrent
//     `GET /report` with one 200 `{"rows":42}` and one 503 whose status,
//     content-type, retry-after and body are the README's http block.
//
// Timing bounds are generous (a loaded 2-core machine), and only bound
// waits that would otherwise hang; nothing asserts how fast anything is.
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Buffer } from "node:buffer"
import console from "node:console"
import { performance } from "node:perf_hooks"
import process from "node:process"
import { clearTimeout, setTimeout } from "node:timers"
import { URL } from "node:url"

const repo = process.cwd()
const readme = fs.readFileSync(path.join(repo, "README.md"), "utf8")
const keep = process.env.PACK_TEST_KEEP === "1"

// The two Effect lines: where each package is, which README blocks are its
// install line and quick start, and what its users' projects hold.
const lines = {
  effect3: {
    dir: repo,
    markers: { install: "install", quickStart: "quick-start" },
    resolves: ["effect", "@effect/platform", "@effect/platform-node"],
    typesNode: "@types/node@20",
    // node10 ignores `exports`; the Effect 3 line serves it through typesVersions.
    modes: ["NodeNext", "ESNext + Bundler", "node10"],
    // @effect/platform's declarations name DOM types and import `ws`.
    quickStartTypes: ["@types/ws@8"],
    extraFiles: ["CHANGELOG.md"]
  },
  effect4: {
    dir: path.join(repo, "packages/effect4"),
    markers: { install: "install-effect4", quickStart: "quick-start-effect4" },
    resolves: ["effect", "@effect/platform-node"],
    typesNode: "@types/node@22",
    // Effect 4 itself resolves through `exports` only.
    modes: ["NodeNext", "ESNext + Bundler"],
    quickStartTypes: [],
    extraFiles: []
  }
}
const lineName = process.argv[2] ?? "effect3"
const line = lines[lineName]
if (line === undefined) {
  console.error(`usage: node .ci/pack-test.mjs [${Object.keys(lines).join("|")}]`)
  process.exit(2)
}
const pkgDir = line.dir
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"))
// The shared core, a dependency of each line, is packed beside it: it is not
// on the registry until it is published with them.
const coreDir = path.join(repo, "packages/core")
const corePkg = JSON.parse(fs.readFileSync(path.join(coreDir, "package.json"), "utf8"))

const started = performance.now()
const timings = []
const checked = []
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message)
}
const ok = (what) => {
  checked.push(what)
  console.log(`  ok: ${what}`)
}

const step = async (name, run) => {
  console.log(`\n== ${name}`)
  const t0 = performance.now()
  try {
    return await run()
  } finally {
    const ms = performance.now() - t0
    timings.push([name, ms])
    console.log(`   (${seconds(ms)})`)
  }
}

// Children run without anything that would let them see the repository's
// packages or settings: no NODE_PATH / NODE_OPTIONS, none of the variables
// `npm run` sets for this package.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) =>
    !/^(NODE_PATH|NODE_OPTIONS|INIT_CWD|npm_package_.*|npm_lifecycle_.*|npm_config_local_prefix|npm_command)$/i.test(key)
  )
)

const run = (command, args, { cwd, timeoutMs = 600_000, env = childEnv, echo = true } = {}) => {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20 })
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
  if (echo && output.trim() !== "") console.log(output.trimEnd().replace(/^/gm, "   | "))
  if (result.error) fail(`${command} ${args.join(" ")}: ${result.error.message}`)
  return { status: result.status, output }
}
const runOk = (command, args, options) => {
  const result = run(command, args, options)
  if (result.status !== 0) fail(`${command} ${args.join(" ")} exited with ${result.status}`)
  return result
}

// --- The README's blocks, found by their markers -----------------------------

/** The fenced block of `lang` on the line after `<!-- marker -->`. */
const block = (marker, lang) => {
  const lines = readme.split("\n")
  const at = lines.findIndex((line) => line.trim() === `<!-- ${marker} -->`)
  if (at < 0) fail(`README.md has no <!-- ${marker} --> marker`)
  if (lines[at + 1]?.trim() !== "```" + lang) {
    fail(`README.md: the line after <!-- ${marker} --> must open a \`\`\`${lang} block; it is ${JSON.stringify(lines[at + 1])}`)
  }
  const end = lines.findIndex((line, i) => i > at + 1 && line.trim() === "```")
  if (end < 0) fail(`README.md: the block after <!-- ${marker} --> is not closed`)
  return lines.slice(at + 2, end)
}

const installLines = block(line.markers.install, "sh").filter((line) => line.trim() !== "")
if (installLines.length !== 1 || !installLines[0].startsWith("npm install ")) {
  fail(`README.md: the install block must be one \`npm install\` line; it is ${JSON.stringify(installLines)}`)
}
const installLine = installLines[0]
const nameToken = new RegExp(`(?<=\\s)${pkg.name.replace(/[-/]/g, "\\$&")}(?=\\s|$)`)
if (!nameToken.test(installLine)) fail(`README.md: the install line does not name ${pkg.name}: ${installLine}`)

const quickStart = block(line.markers.quickStart, "ts").join("\n") + "\n"

const httpLines = block("quick-start-503", "http")
const statusLine = /^HTTP\/1\.1 (\d{3}) (.+)$/.exec(httpLines[0] ?? "")
if (statusLine === null) fail(`README.md: the http block must start with a status line; it is ${JSON.stringify(httpLines[0])}`)
const blank = httpLines.indexOf("")
if (blank < 0) fail("README.md: the http block has no blank line between headers and body")
const expected = {
  status: Number(statusLine[1]),
  statusText: statusLine[2],
  headers: Object.fromEntries(httpLines.slice(1, blank).map((line) => {
    const colon = line.indexOf(":")
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
  })),
  body: httpLines.slice(blank + 1).join("\n")
}
for (const header of ["content-type", "retry-after"]) {
  if (expected.headers[header] === undefined) fail(`README.md: the http block shows no ${header} header`)
}

// --- Helpers for the run ------------------------------------------------------

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/** One GET on a connection of its own; the body as bytes. */
const get = (port, pathname, timeoutMs) =>
  new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path: pathname, agent: false }, (response) => {
      const chunks = []
      response.on("data", (chunk) => chunks.push(chunk))
      response.on("end", () =>
        resolve({
          status: response.statusCode,
          statusText: response.statusMessage,
          headers: response.headers,
          body: Buffer.concat(chunks)
        }))
      response.on("error", reject)
    })
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`GET ${pathname}: no answer within ${seconds(timeoutMs)}`)))
    request.on("error", reject)
  })

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// --- The test -------------------------------------------------------------------

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ecl-pack-test-")))
const app = path.join(root, "app")
let server = null

const stopServer = async () => {
  if (server === null || server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.once("exit", resolve))
  server.kill("SIGTERM")
  let timer
  const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => timer = setTimeout(resolve, 15_000, false))])
  clearTimeout(timer)
  if (!stopped) {
    server.kill("SIGKILL")
    await exited
  }
}

const main = async () => {
  if (path.relative(repo, root).split(path.sep)[0] !== "..") fail(`the temporary directory ${root} is inside the repository`)
  console.log(`pack test of ${pkg.name}@${pkg.version} in ${root}`)

  // `npm pack` of one package; prepack must build a clean dist.
  const pack = (dir, manifest, into, targets, extraFiles) => {
    fs.mkdirSync(into)
    // A file left by an older build: prepack must remove it.
    const stale = "dist/stale-from-an-older-build.js"
    fs.mkdirSync(path.join(dir, "dist"), { recursive: true })
    fs.writeFileSync(path.join(dir, stale), "export {}\n")
    runOk("npm", ["pack", "--pack-destination", into], { cwd: dir, echo: false })
    if (fs.existsSync(path.join(dir, stale))) fail(`${manifest.name}: npm pack did not run prepack (a stale file in dist/ survived)`)
    const found = fs.readdirSync(into).filter((file) => file.endsWith(".tgz"))
    if (found.length !== 1) fail(`npm pack left ${found.length} tarballs: ${found.join(", ")}`)
    const file = path.join(into, found[0])
    const entries = runOk("tar", ["-tzf", file], { echo: false }).output.split("\n").filter(Boolean)
      .map((entry) => entry.replace(/^package\//, ""))
    const files = new Set(entries)
    const wanted = ["package.json", "LICENSE", "README.md", ...extraFiles, ...targets]
      .filter((target) => !target.includes("*")).map((target) => target.replace(/^\.\//, ""))
    const missing = [...new Set(wanted)].filter((target) => !files.has(target))
    if (missing.length > 0) fail(`${manifest.name}: the tarball lacks ${missing.join(", ")}`)
    ok(`${manifest.name}: the tarball holds every target of its exports, LICENSE, README.md${extraFiles.map((f) => `, ${f}`).join("")} (${files.size} files, ${(fs.statSync(file).size / 1024).toFixed(0)} KiB)`)
    ok(`${manifest.name}: prepack rebuilt dist/ from scratch (a stale file of an older build is gone)`)
    const stray = entries.filter((entry) => /^(test|bench|examples|\.ci|node_modules|coverage|\.bench-out)\//.test(entry) || entry.endsWith(".tgz"))
    if (stray.length > 0) fail(`${manifest.name}: the tarball holds files a user does not need: ${stray.slice(0, 10).join(", ")}`)
    const maps = entries.filter((entry) => entry.endsWith(".d.ts.map"))
    const unmapped = maps.map((map) => JSON.parse(fs.readFileSync(path.join(dir, map), "utf8")))
      .flatMap((map, i) => map.sources.map((source) => path.posix.join(path.posix.dirname(maps[i]), source)))
      .filter((source) => !files.has(source))
    if (unmapped.length > 0) fail(`${manifest.name}: declaration maps point at sources the tarball lacks: ${unmapped.slice(0, 5).join(", ")}`)
    ok(`${manifest.name}: no tests, benchmarks, examples or CI in it; the ${maps.length} declaration maps point at sources it holds`)
    return file
  }
  const exportTargets = (manifest) =>
    Object.values(manifest.exports).flatMap((target) => typeof target === "string" ? [target] : Object.values(target))

  const coreTarball = await step(`npm pack ${corePkg.name} (the shared core)`, () => {
    // The core's exports are one pattern: check a module of each kind instead.
    const targets = ["dist/semaphore/handOff.js", "dist/semaphore/handOff.d.ts", "dist/limit/vegas.js"]
    return pack(coreDir, corePkg, path.join(root, "pack-core"), targets, [])
  })
  const tarball = await step(`npm pack ${pkg.name} (prepack builds a clean dist)`, () => {
    const targets = [
      pkg.main,
      pkg.types,
      ...exportTargets(pkg),
      ...Object.values(pkg.typesVersions?.["*"] ?? {}).flat()
    ].filter((target) => target !== undefined)
    if (pkg.dependencies?.[corePkg.name] !== corePkg.version) {
      fail(`${pkg.name} must depend on exactly ${corePkg.name}@${corePkg.version}; it names ${pkg.dependencies?.[corePkg.name]}`)
    }
    ok(`${pkg.name} depends on exactly ${corePkg.name}@${corePkg.version}, the core packed with it`)
    return pack(pkgDir, pkg, path.join(root, "pack"), targets, line.extraFiles)
  })

  await step("a fresh project: the README's install line, then TypeScript", () => {
    fs.mkdirSync(app)
    runOk("npm", ["init", "-y"], { cwd: app, echo: false })
    const manifest = JSON.parse(fs.readFileSync(path.join(app, "package.json"), "utf8"))
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ ...manifest, type: "module" }, null, 2) + "\n")
    // The core's tarball beside the line's: npm takes it for the line's
    // dependency on the core's version, instead of the registry.
    const command = installLine.replace(nameToken, `'${tarball}' '${coreTarball}'`)
    console.log(`   $ ${command}`)
    const noPeerWarnings = (what, output) => {
      const bad = output.split("\n").filter((l) => /peer|ERESOLVE/i.test(l))
      if (bad.length > 0) fail(`${what} printed peer-dependency warnings:\n${bad.join("\n")}`)
    }
    noPeerWarnings("the README's install line", runOk("bash", ["-c", command], { cwd: app }).output)
    ok("the README's install line (tarball in place of the name) installs with no peer-dependency warning or ERESOLVE")
    // @types/ws: see the tsc step.
    const dev = ["install", "--save-dev", "typescript@5.9", line.typesNode, ...line.quickStartTypes]
    console.log(`   $ npm ${dev.join(" ")}`)
    noPeerWarnings("npm install typescript", runOk("npm", dev, { cwd: app }).output)
    runOk("npm", ["ls", "--all"], { cwd: app, echo: false })
    ok(`${dev.slice(2).join(", ")} install with no peer warning either; \`npm ls --all\` is clean`)
  })

  const checkDir = path.join(app, "checks")
  fs.mkdirSync(checkDir)
  const subpaths = Object.keys(pkg.exports).filter((key) => key !== "." && key !== "./package.json" && !key.includes("*")).map((key) => key.slice(2))

  await step("resolution from the project: inside it, nothing from the repository", () => {
    const script = `
import { createRequire } from "node:module"
const require = createRequire(import.meta.url)
const out = {}
for (const name of ${JSON.stringify([...line.resolves, "typescript", corePkg.name + "/package.json", pkg.name, pkg.name + "/package.json"])}) {
  out[name] = { require: require.resolve(name), import: import.meta.resolve(name) }
}
let ioredis = "not installed"
try { out.ioredis = require.resolve("ioredis"); ioredis = "installed" } catch {}
console.log(JSON.stringify({ out, ioredis, paths: require.resolve.paths("effect") }))
`
    fs.writeFileSync(path.join(checkDir, "resolve.mjs"), script)
    const result = JSON.parse(runOk("node", [path.join(checkDir, "resolve.mjs")], { cwd: app, echo: false }).output)
    for (const [name, where] of Object.entries(result.out)) {
      for (const resolved of [where.require, new URL(where.import).pathname]) {
        if (!fs.realpathSync(resolved).startsWith(app + path.sep)) fail(`${name} resolves to ${resolved}, outside the project ${app}`)
      }
    }
    ok(`${line.resolves.join(", ")}, typescript, ${corePkg.name} and ${pkg.name} resolve inside the project (require and import)`)
    const outside = result.paths.filter((p) => fs.existsSync(p) && !p.startsWith(app + path.sep))
    if (outside.length > 0) fail(`node_modules directories above the project are reachable: ${outside.join(", ")}`)
    ok("no node_modules above the project is reachable")
    if (result.ioredis !== "not installed") fail("ioredis is installed in the project; the test must show the package works without it")
    ok("ioredis (an optional peer) is not installed, so everything below holds without it")
    for (const manifest of [pkg, corePkg]) {
      const installed = JSON.parse(fs.readFileSync(path.join(app, "node_modules", manifest.name, "package.json"), "utf8"))
      if (installed.version !== manifest.version) fail(`${manifest.name}: installed version ${installed.version}, expected ${manifest.version}`)
    }
  })

  // The files tsc checks: the quick start as written, every subpath, deep imports.
  fs.writeFileSync(path.join(app, "quick-start.ts"), quickStart)
  const importName = (subpath) => `Sub${subpath}`
  const uses = [
    [["Resource"], `const Db = SubResource.make("Db", { capacity: 1 })`],
    [["Resource", "Limiter"], `export const local = SubLimiter.layer({ timeout: "1 second", resources: [Db] })`],
    // The Effect 3 line connects to Redis itself; the Effect 4 line takes Effect 4's Redis service.
    [["Resource", "RedisLimiter"], lineName === "effect3"
      ? `export const shared = SubRedisLimiter.layer({ timeout: "1 second", resources: [Db], redis: "redis://127.0.0.1:6379" })`
      : `export const shared = SubRedisLimiter.layer({ timeout: "1 second", resources: [Db] })`],
    [["Limit"], `export const limit = SubLimit.aimd({ initial: 10, min: 1, max: 100 })`],
    [["Metrics"], `export const series = SubMetrics.series(SubMetrics.waiting, { resource: "Db" })`],
    [["LimitedHttpClient"], `export const busy: boolean = SubLimitedHttpClient.isBusy(new Error("not busy"))`],
    [["Semaphore"], `export const semaphore: SubSemaphore.Semaphore = SubSemaphore.unsafeMake(1)`],
    [["BusyError"], `export const body: string = SubBusyError.responseBody`],
    [["LimiterConfigError"], `export const configError: SubLimiterConfigError.LimiterConfigError | undefined = undefined`]
  ]
  fs.writeFileSync(
    path.join(app, "all-subpaths.ts"),
    [
      `import * as Root from ${JSON.stringify(pkg.name)}`,
      ...subpaths.map((s) => `import * as ${importName(s)} from ${JSON.stringify(`${pkg.name}/${s}`)}`),
      "",
      "type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false",
      "// Each subpath is, in its types, the module the root entry re-exports under its name.",
      `export const sameTypes: [${subpaths.map((s) => `Equals<typeof Root.${s}, typeof ${importName(s)}>`).join(", ")}] = [${subpaths.map(() => "true").join(", ")}]`,
      "",
      "// ... and at run time the same module object (no second copy of the package's state).",
      `const pairs: Array<[string, unknown, unknown]> = [${subpaths.map((s) => `[${JSON.stringify(s)}, Root.${s}, ${importName(s)}]`).join(", ")}]`,
      "for (const [name, fromRoot, fromSubpath] of pairs) {",
      "  if (fromRoot !== fromSubpath) throw new Error(`the subpath ${name} is not the module the root re-exports`)",
      "}",
      "",
      "// A few uses, RedisLimiter's among them (its types must not need ioredis),",
      "// of the modules this line has.",
      ...uses.filter(([needs]) => needs.every((s) => subpaths.includes(s))).map(([, code]) => code),
      `console.log(\`all-subpaths: ${subpaths.length} subpaths are the modules the root entry re-exports\`)`,
      ""
    ].join("\n")
  )
  const deepSpecifiers = ["internal/limiter", "internal/limiter.js"]
  const deepExportsOnly = ["dist/internal/limiter.js", "src/internal/limiter.js"]
  const deepImports = (specifiers) =>
    specifiers.map((s, i) =>
      `// @ts-expect-error internal modules are not part of the package's API\nimport * as deep${i} from ${JSON.stringify(`${pkg.name}/${s}`)}\nexport { deep${i} }\n`
    ).join("\n")
  fs.writeFileSync(path.join(app, "deep-import.ts"), deepImports(deepSpecifiers))
  // node10 ignores `exports`, so paths into dist/ or src/ are closed by `exports` alone.
  fs.writeFileSync(path.join(app, "deep-import-exports.ts"), deepImports(deepExportsOnly))

  // Two programs per resolution mode, both with `skipLibCheck: false`:
  // - the package alone (every subpath, the deep imports) with only ES2022's
  //   lib and Node's types: its declarations need no DOM lib, no ioredis;
  // - the quick start, with TypeScript's default lib (it has the DOM) and
  //   @types/ws: the declarations of @effect/platform (KeyValueStore,
  //   Transferable) name DOM types, and those of @effect/platform-node-shared
  //   import `ws`. That is theirs, not this package's.
  const programs = (exportsAware) => [
    ["the package", { lib: ["ES2022"], types: ["node"] }, ["all-subpaths.ts", "deep-import.ts", ...(exportsAware ? ["deep-import-exports.ts"] : [])]],
    ["the quick start", {}, ["quick-start.ts"]]
  ]
  const modes = [
    ["NodeNext", { module: "NodeNext", moduleResolution: "NodeNext", outDir: "out" }, true],
    ["ESNext + Bundler", { module: "ESNext", moduleResolution: "Bundler", noEmit: true }, true],
    ["node10", { module: "ESNext", moduleResolution: "node10", noEmit: true }, false]
  ]
  for (const [mode, options, exportsAware] of modes.filter(([mode]) => line.modes.includes(mode))) {
    await step(`tsc, skipLibCheck false, ${mode}`, () => {
      for (const [what, extra, include] of programs(exportsAware)) {
        const file = `tsconfig.${mode.replace(/\W+/g, "-").toLowerCase()}.${what.split(" ").pop().replace(/\W+/g, "-")}.json`
        const compilerOptions = { target: "ES2022", strict: true, skipLibCheck: false, ...options, ...extra }
        fs.writeFileSync(path.join(app, file), JSON.stringify({ compilerOptions, include }, null, 2))
        runOk("node", [path.join(app, "node_modules/typescript/bin/tsc"), "-p", file], { cwd: app })
      }
      const deep = exportsAware ? [...deepSpecifiers, ...deepExportsOnly] : deepSpecifiers
      ok(`${mode}: every subpath type-checks with lib ES2022 alone; deep imports are errors (${deep.join(", ")})`)
      ok(`${mode}: the README's quick start type-checks as written`)
    })
  }

  await step("run time: every subpath, deep imports refused", () => {
    runOk("node", ["out/all-subpaths.js"], { cwd: app })
    ok(`all ${subpaths.length} subpaths load (built by tsc under NodeNext) and are the root entry's modules, without ioredis`)
    const script = `
const specifiers = ${JSON.stringify([...deepSpecifiers, ...deepExportsOnly].map((s) => `${pkg.name}/${s}`))}
for (const specifier of specifiers) {
  try {
    await import(specifier)
    throw new Error(specifier + " was imported")
  } catch (error) {
    if (error.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error
  }
}
`
    fs.writeFileSync(path.join(checkDir, "deep.mjs"), script)
    runOk("node", [path.join(checkDir, "deep.mjs")], { cwd: app })
    ok(`import() of ${[...deepSpecifiers, ...deepExportsOnly].join(", ")} fails with ERR_PACKAGE_PATH_NOT_EXPORTED`)
  })

  await step("the quick start, run as written: one 200 and the README's 503", async () => {
    const port = await freePort()
    let output = ""
    server = spawn("node", ["out/quick-start.js"], { cwd: app, env: { ...childEnv, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] })
    server.stdout.on("data", (chunk) => output += chunk)
    server.stderr.on("data", (chunk) => output += chunk)
    const readyBy = performance.now() + 120_000
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) fail(`the quick start exited before it listened:\n${output}`)
      const health = await get(port, "/health", 5_000).catch(() => null)
      if (health?.status === 200) break
      if (performance.now() > readyBy) fail(`the quick start did not answer /health on port ${port} within 120 s:\n${output}`)
      await sleep(200)
    }
    ok(`the quick start listens on 127.0.0.1:${port} (PORT) and answers /health`)

    // Db has room for one request, which holds it 2 seconds; the other would
    // wait past the 1-second timeout, so it is refused. Both 200 would mean
    // the second request reached the server after the first had finished (a
    // stall of over 2 seconds); that alone is retried.
    let answers
    for (let attempt = 1; ; attempt++) {
      answers = await Promise.all([get(port, "/report", 60_000), get(port, "/report", 60_000)])
      if (!answers.every((a) => a.status === 200) || attempt === 3) break
      console.log(`   both requests got 200 (attempt ${attempt}): the machine stalled between them; again`)
    }
    const ok200 = answers.filter((a) => a.status === 200)
    const busy = answers.filter((a) => a.status === expected.status)
    if (ok200.length !== 1 || busy.length !== 1) {
      fail(`expected one 200 and one ${expected.status}; got ${answers.map((a) => `${a.status} ${a.body}`).join(" and ")}`)
    }
    if (ok200[0].body.toString("utf8") !== "{\"rows\":42}") fail(`the 200's body is ${JSON.stringify(ok200[0].body.toString("utf8"))}, expected {"rows":42}`)
    ok("one GET /report got 200 with the body {\"rows\":42}")
    const got = busy[0]
    if (got.statusText !== expected.statusText) fail(`the 503's status text is ${JSON.stringify(got.statusText)}, the README says ${JSON.stringify(expected.statusText)}`)
    for (const [header, value] of Object.entries(expected.headers)) {
      if (got.headers[header] !== value) fail(`the 503's ${header} is ${JSON.stringify(got.headers[header])}, the README says ${JSON.stringify(value)}`)
    }
    if (!got.body.equals(Buffer.from(expected.body, "utf8"))) {
      fail(`the 503's body is ${JSON.stringify(got.body.toString("utf8"))}, the README says ${JSON.stringify(expected.body)}`)
    }
    ok(`the other got the README's 503: "${httpLines[0]}", ${Object.entries(expected.headers).map(([h, v]) => `${h}: ${v}`).join(", ")}, body ${expected.body} (bytes equal)`)
    await stopServer()
    ok("the server stopped on SIGTERM")
  })
}

let failure = null
try {
  await main()
} catch (error) {
  failure = error
} finally {
  await stopServer().catch(() => {})
  if (keep) console.log(`\nkept ${root}`)
  else fs.rmSync(root, { recursive: true, force: true })
}

const total = performance.now() - started
console.log("\n== timings")
for (const [name, ms] of timings) console.log(`  ${seconds(ms).padStart(8)}  ${name}`)
console.log(`  ${seconds(total).padStart(8)}  total`)
if (failure !== null) {
  console.error(`\npack test FAILED after ${checked.length} checks: ${failure instanceof Failure ? failure.message : failure.stack}`)
  process.exit(1)
}
console.log(`\npack test passed: ${checked.length} checks in ${seconds(total)}`)
