import { runRoles, type RunRolesOptions, type RunningProcess } from '../../platform/runtime/run-roles.ts';
import { ApiClient } from './api-client.ts';
import { createTestEnv, type TestEnv } from './test-env.ts';

export interface TestApi {
  env: TestEnv;
  client: ApiClient;
  process: RunningProcess;
  close(): Promise<void>;
}

/**
 * Starts the whole product in this test process, as `onemessage start` would (api, worker and
 * connector roles, through the real composition root), on its own database and Redis prefix,
 * on a free port of 127.0.0.1.
 */
/**
 * `extraEnv`: more settings for the product (HTTP_ALLOW_HOSTS, for example); `opts`: objects the
 * composition root would otherwise build (a recording mailer, for example).
 */
export async function startTestApi(extraEnv: Record<string, string> = {}, opts: Pick<RunRolesOptions, 'mailer'> = {}): Promise<TestApi> {
  const env = await createTestEnv();
  const proc = await runRoles(
    ['api', 'worker', 'connector'],
    {
      DATABASE_URL: env.config.databaseUrl,
      REDIS_URL: env.config.redisUrl,
      REDIS_PREFIX: env.config.redisPrefix,
      PORT: '0',
      HOST: '127.0.0.1',
      ONEMESSAGE_SECRET_KEY: env.config.secretKey.toString('hex'),
      LOG_LEVEL: env.config.logLevel,
      NODE_ENV: 'test',
      ...extraEnv,
    },
    { exit: () => undefined, listenForSignals: false, ...opts },
  );
  return {
    env,
    client: new ApiClient(`http://127.0.0.1:${proc.port}`),
    process: proc,
    async close() {
      await proc.shutdown.run('test finished');
      await env.cleanup();
    },
  };
}
