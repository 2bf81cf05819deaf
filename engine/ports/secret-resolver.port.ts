/**
 * Reads the values of a workspace's secrets for one run step. The runtime implements it with the
 * database and the sealed box, bound to the run's workspace and transaction; the core never sees
 * how secrets are stored. Asked only by the HTTP request executor, once per step, with the names
 * its config uses.
 */
export interface SecretResolver {
  /** The values of the named secrets that exist; a name absent from the answer does not exist. */
  resolve(names: readonly string[]): Promise<ReadonlyMap<string, string>>;
}
