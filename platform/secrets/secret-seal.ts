import { open, seal } from '../crypto/sealed-box.ts';

/** Where a secret's value belongs: the sealed value opens only for this workspace, id and name. */
export interface SecretPlace {
  workspaceId: string;
  secretId: string;
  name: string;
}

function aad(place: SecretPlace): string {
  return `workspace:${place.workspaceId}:secret:${place.secretId}:${place.name}`;
}

/** Seals a secret's value for `workspace_secrets.sealed_value`. */
export function sealSecretValue(key: Buffer, place: SecretPlace, value: string): Buffer {
  return seal(key, Buffer.from(value, 'utf8'), aad(place));
}

/** Opens a value sealed by `sealSecretValue` for the same place; throws SealedBoxError for any other. */
export function openSecretValue(key: Buffer, place: SecretPlace, sealed: Buffer): string {
  return open(key, sealed, aad(place)).toString('utf8');
}
