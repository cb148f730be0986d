/**
 * Attributes on the current span, as `Effect.annotateCurrentSpan` sets them,
 * without its cost outside a span: there Effect 3 fails an inner effect with
 * a `NoSuchElementException` (an `Error`, with its stack trace) on every
 * call, which is several microseconds per guarded call.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/**
 * The span `Effect.annotateCurrentSpan` annotates: the current one, or, past
 * spans that disable propagation, the nearest parent that does not; none
 * outside a span or under an external one.
 */
const propagatedSpan = (context: Context.Context<never>): Tracer.Span | undefined => {
  let span = Option.getOrUndefined(Context.getOption(context, Tracer.ParentSpan))
  while (span !== undefined) {
    if (!Context.get(span.context, Tracer.DisablePropagation)) return span._tag === "Span" ? span : undefined
    span = span._tag === "Span" ? Option.getOrUndefined(span.parent) : undefined
  }
  return undefined
}

/** Sets each of `attributes` on the current span, if there is one. @internal */
export const annotateCurrentSpan = (attributes: Readonly<Record<string, unknown>>): Effect.Effect<void> =>
  Effect.contextWith((context: Context.Context<never>) => {
    const span = propagatedSpan(context)
    if (span === undefined) return
    for (const key in attributes) span.attribute(key, attributes[key])
  })
