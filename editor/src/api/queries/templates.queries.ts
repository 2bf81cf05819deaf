import { useQuery } from '@tanstack/react-query';
import type { MessageTemplate, MessageTemplateVersion, TemplateInput } from '../api-types.ts';
import { useSession } from '../../session/session-context.tsx';
import { useApiMutation } from '../use-api-mutation.ts';

export const templateKeys = { all: ['templates'] as const };

/** Every saved template of the workspace with its current version (the page and the send_message picker). */
export function useTemplates(enabled = true) {
  const { api } = useSession();
  return useQuery({
    queryKey: templateKeys.all,
    queryFn: ({ signal }) => api.get<{ items: MessageTemplate[] }>('/templates', signal),
    enabled,
    staleTime: 30_000,
  });
}

/** Creates a template, or saves an edit as its new version. */
export function useSaveTemplate() {
  return useApiMutation(
    (api, { id, template }: { id: string | null; template: TemplateInput }) =>
      id ? api.patch<MessageTemplate>(`/templates/${id}`, template) : api.post<MessageTemplate>('/templates', template),
    {
      invalidates: [templateKeys.all],
      success: (t) => `Template “${t.name}” saved (version ${t.version}).`,
    },
  );
}

export function useDeleteTemplate() {
  return useApiMutation((api, template: MessageTemplate) => api.delete(`/templates/${template.id}`), {
    invalidates: [templateKeys.all],
    success: (_r, t) => `Template “${t.name}” deleted.`,
  });
}

/** A template's versions, newest first, each with the published flows and broadcasts that send it. */
export function useTemplateVersions(id: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: [...templateKeys.all, id, 'versions'],
    queryFn: ({ signal }) => api.get<{ items: MessageTemplateVersion[] }>(`/templates/${id}/versions`, signal),
    enabled: id !== null,
  });
}
