/**
 * One replica's side of the permits held in Redis: the moves its guards
 * make on them, acquire (an `Acquisition`), requeue after a Redis restart,
 * release and forget. Promise and callback code; each line's guard wraps it.
 */
import { Acquisition } from "./acquisition.js"
import type { Scripts } from "./client.js"
import type { Lease, RemoteResource, Wait } from "./remote.js"
import { Granted, Queued, QueueFull } from "./scripts.js"

/** The permits of one replica and layer, on one `Scripts`. */
export class Permits {
  private sequence = 0

  constructor(
    readonly scripts: Scripts,
    /** Unique per replica and layer: ids never collide across replicas. */
    readonly replicaId: string,
    readonly leaseTtlMillis: number,
    private readonly onReleaseError: (error: unknown) => void
  ) {}

  /**
   * A new wait for one permit of `resource` until `deadline` (local ms;
   * `Infinity` for none), not sent yet. `lost` is called if its lease is
   * later lost.
   */
  start(resource: RemoteResource, deadline: number, lost: () => void): Acquisition {
    return new Acquisition(this, `${this.replicaId}:${++this.sequence}`, resource, deadline, lost)
  }

  /** Queues again a wait that Redis lost (it restarted): at the back, as a newcomer. */
  requeue(wait: Wait): void {
    const { resource } = wait
    const sentAt = Date.now()
    this.scripts.acquire(resource.keys, resource.args, wait.id, resource.maxWaiting, true).then(
      (answer) => {
        if (answer === Queued) wait.aliveUntil = Math.max(wait.aliveUntil, sentAt + resource.args.queueTtlMillis)
        if (answer === Granted) wait.grant(Date.now())
        else if (answer === QueueFull) wait.refuse("queue-full")
        else if (answer !== Queued) wait.refuse("timeout")
      },
      () => {
        // The next tick tries again.
      }
    )
  }

  /**
   * Gives the leases back, resource by resource; resolves once Redis has
   * answered, so that a permit is free when the guard returns. A release
   * that fails is only reported (`onReleaseError`): the lease expires on its
   * own within its TTL. Never rejects.
   */
  release(leases: ReadonlyArray<Lease>): Promise<void> {
    for (const lease of leases) this.forget(lease)
    return Promise.all(leases.map((lease) => this.scripts.release(lease.resource.keys, lease.resource.args, [lease.id])))
      .then(() => undefined, this.onReleaseError)
  }

  /** `release` without waiting for the answer (a guard that gives up). */
  releaseNow(leases: ReadonlyArray<Lease>): void {
    for (const lease of leases) {
      this.forget(lease)
      this.releaseIds(lease.resource, [lease.id])
    }
  }

  /** Stops renewing a lease (released, or lost), once. */
  forget(lease: Lease): void {
    const { resource } = lease
    if (!resource.leases.delete(lease.id)) return
    resource.metrics?.released(Date.now() - lease.grantedAt)
    resource.changed()
  }

  /** Gives back `ids`' permits and places without waiting for the answer. */
  releaseIds(resource: RemoteResource, ids: ReadonlyArray<string>): void {
    this.scripts.release(resource.keys, resource.args, ids).catch(this.onReleaseError)
  }
}
