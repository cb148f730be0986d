/**
 * The checks a guard passes when it is defined and when it first meets a
 * limiter, from the shared core, with this line's rendering of values and
 * its name for what a resource is (a `Context.Service` key).
 *
 * @internal
 */
import * as core from "@effect-concurrency-limiter/core/options/guard"
import type * as Resource from "../Resource.js"
import { renderValue } from "./invalidOption.js"

/**
 * Throws at definition time: a guard listing a resource twice, or naming a
 * partition its resources do not have (or none, when one is partitioned),
 * is a bug in the app, like a bad route.
 */
export const checkGuard = (
  resources: ReadonlyArray<Resource.Resource.Any>,
  partition: string | undefined,
  api = "Limiter.withResources"
): void => core.checkGuard(resources, partition, api, renderValue)

/** Whether `b` is the resource `a` or the same definition made again. */
export const sameDefinition: (a: Resource.Resource.Any, b: Resource.Resource.Any) => boolean = core.sameDefinition

/** The message of a guard whose resource has the name of another one the limiter was built with. */
export const twoDefinitions = (resource: Resource.Resource.Any): string =>
  core.twoDefinitions(resource, "a Context.Service")
