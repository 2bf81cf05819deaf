/**
 * Facts that never change once written (a channel's workspace and kind, a webhook channel's URL
 * and signing secret), kept after their first look-up so that the routes every message takes do
 * not ask the database each time. Only facts found are kept (a missing row is looked up again).
 * At most `maxEntries`: when full the map starts over (a look-up each, not memory). Whatever can
 * change (a channel's deletion) is not a fact here: the statement that acts on it checks it.
 * Callers that ask for the same key while its look-up runs share it: the first messages of a
 * channel, arriving together on many connections, cost one query, not one each.
 */
export class RememberedFacts<V> {
  private facts = new Map<string, V>();
  private readonly lookingUp = new Map<string, Promise<V | undefined>>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, lookUp: () => Promise<V | undefined>): Promise<V | undefined> {
    const known = this.facts.get(key);
    if (known !== undefined) return Promise.resolve(known);
    // A shared look-up that failed may have failed for its caller only (its transaction): the others look up themselves.
    const running = this.lookingUp.get(key);
    if (running) return running.catch(() => this.remember(key, lookUp));
    const looked = this.remember(key, lookUp).finally(() => this.lookingUp.delete(key));
    this.lookingUp.set(key, looked);
    return looked;
  }

  private async remember(key: string, lookUp: () => Promise<V | undefined>): Promise<V | undefined> {
    const found = await lookUp();
    if (found === undefined) return undefined;
    if (this.facts.size >= this.maxEntries) this.facts = new Map();
    this.facts.set(key, found);
    return found;
  }
}
