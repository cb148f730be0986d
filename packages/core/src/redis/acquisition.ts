/**
 * One guard's wait for a permit held in Redis, as a state machine driven by
 * callbacks: `send` queues it and reports its outcome once, `abandon` is the
 * interrupted side, `claim` hands the lease to the guard. Each line wraps it
 * in its own async effect (`Effect.async` / `Effect.callback`).
 */
import type { Permits } from "./permits.js"
import { type Lease, MAX_TIMER_MILLIS, type Refusal, type RemoteResource, type Wait } from "./remote.js"
import { Granted as GrantedAnswer, NotFree, Queued, QueueFull } from "./scripts.js"

/** How a wait ends: a lease, or a refusal. Reported once. */
export type Outcome =
  | { readonly _tag: "granted"; readonly lease: Lease }
  | { readonly _tag: "refused"; readonly refusal: Refusal }

/**
 * The states of a wait, as in the local semaphore: `Waiting` (queued in
 * Redis), `Granted` (Redis granted it and the guard's fiber was resumed,
 * but the guard has not claimed the lease yet), `Held` (the guard owns the
 * lease and releases it), `Done` (refused or abandoned). A `Granted` wait
 * whose fiber is interrupted before it claims the lease gives it back:
 * otherwise nobody would release it and the heartbeat would renew it for
 * ever.
 */
const Waiting = 0
const Granted = 1
const Held = 2
const Done = 3

/** A guard's wait for one permit of a resource (see `Permits.start`). */
export class Acquisition {
  private state = Waiting
  private lease: Lease | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private sentAt = 0

  constructor(
    private readonly permits: Permits,
    readonly id: string,
    readonly resource: RemoteResource,
    /** Local ms; `Infinity` for none. */
    private readonly deadline: number,
    private readonly lost: () => void
  ) {}

  private leave(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.resource.waiting.delete(this.id)
  }

  /** Queues the wait in Redis; `resume` gets its outcome once (never after `abandon`). */
  send(resume: (outcome: Outcome) => void): void {
    const { deadline, id, permits, resource } = this
    const sentAt = this.sentAt = Date.now()
    const self: Wait = {
      id,
      resource,
      aliveUntil: sentAt + resource.args.queueTtlMillis,
      grant: (at) => {
        if (this.state !== Waiting) return
        this.state = Granted
        this.leave()
        const now = Date.now()
        const lease: Lease = this.lease = {
          id,
          resource,
          lost: this.lost,
          grantedAt: now,
          // Redis gave the lease what was left of the wait's heartbeat.
          expiresAt: Math.min(at + permits.leaseTtlMillis, self.aliveUntil)
        }
        resource.leases.set(id, lease)
        resource.metrics?.acquired(now - sentAt)
        resource.changed()
        resume({ _tag: "granted", lease })
      },
      refuse: (refusal) => {
        if (this.state !== Waiting) return
        this.state = Done
        this.leave()
        permits.releaseIds(resource, [id])
        if (refusal !== "unavailable" && refusal !== "closed") resource.metrics?.failed(refusal, Date.now() - sentAt)
        resource.changed()
        resume({ _tag: "refused", refusal })
      }
    }
    // Listed before the call: the grant may be published before the reply arrives.
    resource.waiting.set(id, self)
    resource.changed()
    const mayWait = deadline > sentAt
    // Armed now, not at the reply: a slow reply must not make the 503 late.
    // If it fires first, the release it sends runs after the acquire (one
    // connection, in order) and undoes it.
    // Node fires a timer longer than 2^31 - 1 ms at once: such a deadline
    // (some 25 days) is never met by a request, so it gets no timer.
    if (mayWait && deadline - sentAt <= MAX_TIMER_MILLIS) this.timer = setTimeout(() => self.refuse("timeout"), deadline - sentAt)
    permits.scripts.acquire(resource.keys, resource.args, id, resource.maxWaiting, mayWait).then(
      (answer) => {
        if (this.state !== Waiting) return
        if (answer === GrantedAnswer) return self.grant(sentAt)
        if (answer === Queued) return
        // Refused without being queued: nothing to take back.
        this.state = Done
        this.leave()
        const refusal = answer === QueueFull ? "queue-full" : answer === NotFree ? "timeout" : "unavailable"
        if (refusal !== "unavailable") resource.metrics?.failed(refusal, Date.now() - sentAt)
        resource.changed()
        resume({ _tag: "refused", refusal })
      },
      () => self.refuse("unavailable")
    )
  }

  /**
   * The interrupted side; runs uninterruptibly (the canceler, or the failure
   * of the wrapped wait). A wait leaves the queue; a permit granted but not
   * yet claimed (the grant and the interruption in the same tick) is given back.
   */
  abandon(): void {
    if (this.state === Waiting) {
      this.state = Done
      this.leave()
      this.permits.releaseIds(this.resource, [this.id])
      this.resource.metrics?.failed("interrupted", Date.now() - this.sentAt)
      this.resource.changed()
    } else if (this.state === Granted) {
      // The grant raced the interruption: give the permit back.
      this.state = Done
      this.permits.releaseNow([this.lease!])
    }
  }

  /** The guard owns the lease now (uninterruptible from the grant to here): `abandon` no longer gives it back. */
  claim(): void {
    this.state = Held
  }
}
