/**
 * Delivery ids seen lately, so a redelivered or duplicated webhook is acknowledged but acted
 * on once. Bounded: the oldest ids go first (GitHub redelivers only on request, so a few
 * thousand cover any realistic window).
 */
export class RecentDeliveryIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 5_000) {}

  /** True the first time an id is seen, false after. */
  remember(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
