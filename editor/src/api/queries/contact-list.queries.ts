import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { Page, RunSummary } from '../api-types.ts';
import type { BulkTagsAnswer, BulkTagsInput, Contact } from '../api-types.ts';
import type { ContactImportDto } from '../../../../api/dto/contact-import.dto.ts';
import type { ImportOptionsInput } from '../../../../engine/contacts/contact-import.ts';
import { useSession } from '../../session/session-context.tsx';
import { useApiMutation } from '../use-api-mutation.ts';

export type ContactImport = ContactImportDto;
export type ContactSort = 'newest' | 'oldest' | 'name' | 'last_seen';

/** What the Contacts page filters on: the same filter the export and bulk tagging use. */
export interface ContactListFilter {
  q: string;
  /** A segment rule from the segment builder, or null for every contact. */
  segment: unknown;
  sort: ContactSort;
}

/** Contacts per page of the list. */
const CONTACTS_PAGE_SIZE = 50;

export const contactListKeys = {
  lists: ['contact-list'] as const,
  list: (filter: ContactListFilter) => ['contact-list', filter] as const,
  contact: (id: string) => ['contact', id] as const,
  runs: (id: string) => ['contact', id, 'runs'] as const,
  imports: ['contact-imports'] as const,
  import: (id: string) => ['contact-imports', id] as const,
};

/** The query string of a filter (q, segment as JSON), without the page's own parameters. */
export function filterQuery(filter: Pick<ContactListFilter, 'q' | 'segment'>): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.q.trim()) params.set('q', filter.q.trim());
  if (filter.segment !== null && filter.segment !== undefined) params.set('segment', JSON.stringify(filter.segment));
  return params;
}

/** The contacts of a filter, page after page ("Show more" fetches the next). */
export function useContactList(filter: ContactListFilter) {
  const { api } = useSession();
  return useInfiniteQuery({
    queryKey: contactListKeys.list(filter),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => {
      const params = filterQuery(filter);
      params.set('sort', filter.sort);
      params.set('limit', String(CONTACTS_PAGE_SIZE));
      if (pageParam) params.set('cursor', pageParam);
      return api.get<Page<Contact>>(`/contacts?${params}`, signal);
    },
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
}

export function useContactRuns(contactId: string) {
  const { api } = useSession();
  return useQuery({
    queryKey: contactListKeys.runs(contactId),
    queryFn: ({ signal }) => api.get<Page<RunSummary>>(`/contacts/${contactId}/runs?limit=20`, signal),
  });
}

/** One import, polled every second while it is queued or running (its progress bar moves). */
export function useContactImport(id: string | null) {
  const { api } = useSession();
  return useQuery({
    queryKey: contactListKeys.import(id ?? ''),
    queryFn: ({ signal }) => api.get<ContactImport>(`/contacts/imports/${id}`, signal),
    enabled: id !== null,
    refetchInterval: (query) => (query.state.data && ['queued', 'running'].includes(query.state.data.status) ? 1_000 : false),
  });
}

export function useCreateContact(onCreated: (c: Contact) => void) {
  return useApiMutation(
    (api, input: { phone: string; defaultCountry?: string; name?: string; tags?: string[] }) => api.post<Contact>('/contacts', input),
    {
      invalidates: [contactListKeys.lists],
      success: 'Contact added.',
      onSuccess: onCreated,
      notifyError: false,
    },
  );
}

export function useUpdateContact(contactId: string) {
  return useApiMutation(
    (api, patch: { name?: string | null; attributes?: Record<string, string | null>; tags?: string[] }) =>
      api.patch<Contact>(`/contacts/${contactId}`, patch),
    {
      invalidates: [contactListKeys.contact(contactId), contactListKeys.lists],
      success: 'Contact saved.',
    },
  );
}

export function useDeleteContact(onDeleted: () => void) {
  return useApiMutation((api, contactId: string) => api.delete(`/contacts/${contactId}`), {
    invalidates: [contactListKeys.lists],
    success: 'Contact deleted.',
    onSuccess: onDeleted,
  });
}

export function useBulkTags() {
  return useApiMutation((api, input: BulkTagsInput) => api.post<BulkTagsAnswer>('/contacts/bulk-tags', input), {
    invalidates: [contactListKeys.lists],
    success: (r, v) => `${v.action === 'add' ? 'Tagged' : 'Untagged'} ${r.changed} ${r.changed === 1 ? 'contact' : 'contacts'}.`,
  });
}

/** Sends the file itself as the body; the options ride in the query string. */
export function useUploadImport(onStarted: (i: ContactImport) => void) {
  return useApiMutation(
    (api, input: { file: File; options: ImportOptionsInput }) => {
      const params = new URLSearchParams({
        options: JSON.stringify(input.options),
        fileName: input.file.name.slice(0, 200) || 'contacts.csv',
      });
      return api.upload<ContactImport>(`/contacts/imports?${params}`, input.file, 'text/csv');
    },
    { invalidates: [contactListKeys.imports], onSuccess: onStarted, notifyError: false },
  );
}

export function useStartImport() {
  return useApiMutation((api, id: string) => api.post<ContactImport>(`/contacts/imports/${id}/start`), {
    invalidates: (_r, id) => [contactListKeys.import(id), contactListKeys.lists],
  });
}
