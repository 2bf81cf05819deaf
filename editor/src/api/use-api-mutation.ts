import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';
import type { ApiClient } from './api-client.ts';

export interface ApiMutationOptions<TVars, TResult> {
  /** The cached reads this write changes: invalidated (refetched if shown) once it succeeded. */
  invalidates?: QueryKey[] | ((result: TResult, vars: TVars) => QueryKey[]);
  /** A green notification after success, in words. */
  success?: string | ((result: TResult, vars: TVars) => string);
  /** Called after success, after the invalidation started (e.g. navigate to the new page). */
  onSuccess?: (result: TResult, vars: TVars) => void;
  /** False when the form shows the error itself (e.g. beside its fields); a red notification otherwise. */
  notifyError?: boolean;
}

/**
 * The one way a page writes through the API: the call, the invalidation of what it changed, and
 * its outcome as a notification. `mutation.error` stays available for forms that show it inline.
 */
export function useApiMutation<TVars = void, TResult = unknown>(
  call: (api: ApiClient, vars: TVars) => Promise<TResult>,
  options: ApiMutationOptions<TVars, TResult> = {},
) {
  const { api } = useSession();
  const queryClient = useQueryClient();
  return useMutation<TResult, Error, TVars>({
    mutationFn: (vars) => call(api, vars),
    onSuccess: (result, vars) => {
      const keys = typeof options.invalidates === 'function' ? options.invalidates(result, vars) : (options.invalidates ?? []);
      for (const queryKey of keys) void queryClient.invalidateQueries({ queryKey });
      const success = typeof options.success === 'function' ? options.success(result, vars) : options.success;
      if (success) notifications.show({ color: 'green', message: success });
      options.onSuccess?.(result, vars);
    },
    onError: (error) => {
      if (options.notifyError !== false) notifications.show({ color: 'red', title: 'That did not work', message: messageOf(error) });
    },
  });
}
