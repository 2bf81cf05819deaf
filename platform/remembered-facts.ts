/**
 * Facts that never change once written (a channel's workspace and kind, a webhook channel's URL
 * and signing secret), kept after their first look-up so that the routes every message takes do
 * not ask the database each time. Only facts found are kept (a missing row is looked up again).
 * At most `maxEntries`: when full the map starts over (a look-up each, not memory). Whatever can
 * change (a channel's deletion) is not a fact here: the statement that acts on it checks it.
 */
export class RememberedFacts<V> {
  private facts = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  async get(key: string, lookUp: () => Promise<V | undefined>): Promise<V | undefined> {
    const known = this.facts.get(key);
    if (known !== undefined) return known;
    const found = await lookUp();
    if (found === undefined) return undefined;
    if (this.facts.size >= this.maxEntries) this.facts = new Map();
    this.facts.set(key, found);
    return found;
  }
}
