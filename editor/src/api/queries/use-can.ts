import { can, type Capability } from '../../../../engine/tenancy/role.ts';
import { useMe } from './session.queries.ts';

/** Whether the caller's role has `capability` (engine/tenancy/role.ts); null until /auth/me answered. */
export function useCan(capability: Capability): boolean | null {
  const me = useMe().data;
  return me ? can(me.role, capability) : null;
}
