/** Most undo steps kept; older ones are dropped. */
const MAX_UNDO_STEPS = 100;

/**
 * Undo/redo over snapshots of the document. `present` is the latest recorded state; recording a
 * new one clears the redo stack, as editors do.
 */
export class EditHistory<T> {
  private past: T[] = [];
  private future: T[] = [];
  constructor(private present: T) {}

  record(state: T): void {
    this.past.push(this.present);
    if (this.past.length > MAX_UNDO_STEPS) this.past.shift();
    this.present = state;
    this.future = [];
  }

  /** Replaces the present without an undo step (a fresh load). */
  reset(state: T): void {
    this.past = [];
    this.future = [];
    this.present = state;
  }

  undo(): T | undefined {
    const previous = this.past.pop();
    if (previous === undefined) return undefined;
    this.future.push(this.present);
    this.present = previous;
    return previous;
  }

  redo(): T | undefined {
    const next = this.future.pop();
    if (next === undefined) return undefined;
    this.past.push(this.present);
    this.present = next;
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }
  get canRedo(): boolean {
    return this.future.length > 0;
  }
}
