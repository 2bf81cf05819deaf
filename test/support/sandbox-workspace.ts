import type { ApiClient } from './api-client.ts';
import type { TestApi } from './api-harness.ts';

/** An owner signed up through the API, their new workspace, and a sandbox channel in it. */
export interface SandboxWorkspace {
  owner: ApiClient;
  workspaceId: string;
  channelId: string;
}

/** Signs up `<name>@example.com` with a workspace called `name`, and adds a sandbox channel. */
export async function signUpWithSandbox(api: TestApi, name: string): Promise<SandboxWorkspace> {
  const signup = await api.client.post('/api/v1/auth/signup', {
    email: `${name}@example.com`,
    password: 'password-123',
    name: 'Owner',
    workspaceName: name,
  });
  const owner = api.client.as(signup.body.token);
  const channelId = (await owner.post('/api/v1/channels', { kind: 'sandbox', name: 'S' })).body.id as string;
  return { owner, workspaceId: signup.body.workspace.id as string, channelId };
}
