import { useQuery } from '@tanstack/react-query';
import type { CannedResponse } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';
import { useApiMutation } from '../use-api-mutation.ts';

export const cannedKeys = { all: ['canned-responses'] as const };

/** Every quick reply of the workspace (a few dozen: the reply box filters them as the agent types). */
export function useCannedResponses(enabled = true) {
  const { api } = useSession();
  return useQuery({
    queryKey: cannedKeys.all,
    queryFn: ({ signal }) => api.get<{ items: CannedResponse[] }>('/canned-responses', signal),
    enabled,
    staleTime: 60_000,
  });
}

/** A quick reply as saved: its own text, or a saved template by id (the other left out). */
export type CannedInput = Pick<CannedResponse, 'shortcut' | 'title'> & ({ text: string } | { templateId: string });

export function useSaveCanned() {
  return useApiMutation(
    (api, { id, canned }: { id: string | null; canned: CannedInput }) =>
      id ? api.patch<CannedResponse>(`/canned-responses/${id}`, canned) : api.post<CannedResponse>('/canned-responses', canned),
    {
      invalidates: [cannedKeys.all],
      success: (c) => `Quick reply /${c.shortcut} saved.`,
    },
  );
}

export function useDeleteCanned() {
  return useApiMutation((api, canned: CannedResponse) => api.delete(`/canned-responses/${canned.id}`), {
    invalidates: [cannedKeys.all],
    success: (_r, c) => `Quick reply /${c.shortcut} deleted.`,
  });
}
