/**
 * The `DataFile` service: the file behind `/file`, like the original
 * benchmark's 5,000 random characters read in 1 KiB chunks.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/** The size of the file, in bytes (ASCII characters). */
export const fileSize = 5000

/** The size of each read. */
export const chunkSize = FileSystem.KiB(1)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** A file the app reads on every `/file` request. */
export class DataFile extends Context.Tag("examples/DataFile")<DataFile, {
  /** Where the file lives. */
  readonly path: string
  /** Reads the whole file, one 1 KiB chunk at a time. */
  readonly read: Effect.Effect<string, PlatformError>
}>() {
  /**
   * Writes the file into a fresh temporary directory, removed again when the
   * layer's scope closes (at shutdown), so the example leaves nothing behind.
   */
  static readonly layer: Layer.Layer<DataFile, PlatformError, FileSystem.FileSystem> = Layer.scoped(
    DataFile,
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ecl-example-" })
      const path = `${dir}/data.txt`
      let text = ""
      for (let i = 0; i < fileSize; i++) text += alphabet[Math.floor(Math.random() * alphabet.length)]
      yield* fs.writeFileString(path, text)
      // A loop over the file handle rather than `fs.stream`: a Stream's
      // machinery costs more CPU and garbage than six 1 KiB reads, and the
      // benchmark's steady load is exactly this route.
      const read = Effect.gen(function*() {
        const file = yield* fs.open(path)
        const decoder = new TextDecoder()
        let text = ""
        for (;;) {
          const chunk = yield* file.readAlloc(chunkSize)
          if (Option.isNone(chunk)) return text + decoder.decode()
          text += decoder.decode(chunk.value, { stream: true })
        }
      })
      return { path, read: read.pipe(Effect.scoped, Effect.withSpan("DataFile.read")) }
    })
  )
}
