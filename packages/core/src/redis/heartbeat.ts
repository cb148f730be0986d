/**
 * The heartbeat of a replica: every quarter of the lease TTL, one call per
 * resource renews the leases its guards hold, keeps its queued guards in
 * the queue, and hands on permits that expired. A lease that could not be
 * renewed in time is taken as lost, and its guarded effect is stopped before
 * Redis could give the permit to someone else: the bound is never broken
 * silently. Each line runs `beat` on a real-time loop of its own.
 */
import type { Permits } from "./permits.js"
import type { Lease, RemoteResource } from "./remote.js"

/** Why a holder was interrupted, for the log. */
type Loss = "expired in Redis" | "not renewed in time"

/** A connection that tells whether Redis is reachable, and can ask it (a `PING`). */
export interface Liveness {
  up(): boolean
  probe(): void
}

/** One replica's renewals over its resources. */
export class Heartbeat {
  constructor(
    private readonly permits: Permits,
    private readonly resources: ReadonlyArray<RemoteResource>,
    /** `null`: the client reconnects on its own, and every beat ticks whatever its state. */
    private readonly connection: Liveness | null,
    /** How often it beats: a quarter of the lease TTL, so two renewals may fail before a lease is lost. */
    readonly periodMillis: number,
    private readonly log: (message: string) => void
  ) {}

  /**
   * One beat: interrupts the holders whose lease runs out before the next,
   * then renews the rest. With a `connection`: while Redis is unreachable
   * nothing is sent (the connection probes it, and beats again once it is
   * back); while it is reachable and nothing here holds or waits, a probe
   * tells whether it still is, so that a guard after an outage began is
   * refused at once.
   */
  beat(): void {
    const now = Date.now()
    const up = this.connection === null || this.connection.up()
    let ticked = false
    for (const resource of this.resources) {
      for (const lease of resource.leases.values()) {
        if (lease.expiresAt - this.periodMillis <= now) this.lose(lease, "not renewed in time")
      }
      if (up && (resource.leases.size > 0 || resource.waiting.size > 0)) {
        ticked = true
        this.tick(resource)
      }
    }
    if (this.connection !== null && up && !ticked) this.connection.probe()
  }

  private tick(resource: RemoteResource): void {
    const leases = [...resource.leases.values()]
    const waits = [...resource.waiting.values()]
    const sentAt = Date.now()
    const expiresAt = sentAt + this.permits.leaseTtlMillis
    this.permits.scripts.tick(resource.keys, resource.args, leases.map((l) => l.id), waits.map((w) => w.id)).then(
      (statuses) => {
        for (let i = 0; i < leases.length; i++) {
          const lease = leases[i]
          if (!resource.leases.has(lease.id)) continue // released meanwhile
          if (statuses[i] === 0) this.lose(lease, "expired in Redis")
          else lease.expiresAt = Math.max(lease.expiresAt, expiresAt)
        }
        for (let i = 0; i < waits.length; i++) {
          const status = statuses[leases.length + i]
          if (status === 0) waits[i].aliveUntil = Math.max(waits[i].aliveUntil, sentAt + resource.args.queueTtlMillis)
          if (status === 1) waits[i].grant(sentAt)
          else if (status === -1 && resource.waiting.has(waits[i].id)) this.permits.requeue(waits[i])
        }
      },
      () => {
        // Unreachable: `beat` interrupts the holders when their time is up.
      }
    )
  }

  private lose(lease: Lease, why: Loss): void {
    this.permits.forget(lease)
    this.log(
      `RedisLimiter: the lease of a "${lease.resource.name}" permit was lost (${why}); ` +
        "its guarded effect is stopped and fails with BusyError (reason \"lease-lost\") so that the capacity holds"
    )
    lease.lost()
  }
}

/** A heartbeat's period for leases of `leaseTtlMillis`: a quarter of it, at least 10 ms. */
export const periodOf = (leaseTtlMillis: number): number => Math.max(10, Math.floor(leaseTtlMillis / 4))
