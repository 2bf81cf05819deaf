import { isClusterUrl } from './redis.ts';
import { z } from 'zod';
import { ConfigError } from './config-error.ts';
import { zodIssueDetails } from '../engine/errors/zod-issue-details.ts';
import { loadSecretKey } from './secret-key.ts';
import { loadBillingConfig, type BillingConfig } from './billing/billing-config.ts';

/** Typed configuration, read once from the environment at the composition root. */
export interface Config {
  env: 'development' | 'production' | 'test';
  databaseUrl: string;
  /**
   * `DATABASE_PREPARED_STATEMENTS` (on by default): the hot statements run as named prepared
   * statements, planned once per connection. Off behind a pooler in transaction mode
   * (PgBouncer before 1.21), where the next transaction may get another server connection.
   */
  databasePreparedStatements?: boolean;
  redisUrl: string;
  /** Prefix for every Redis key this process writes (BullMQ queues included). */
  redisPrefix: string;
  port: number;
  host: string;
  secretKey: Buffer;
  demo: { email: string; password: string };
  logLevel: string;
  /** Largest JSON body the API accepts. */
  bodyLimitBytes: number;
  /** Where the development secret key is kept when ONEMESSAGE_SECRET_KEY is unset. */
  dataDir: string;
  /** Hosts that flows' HTTP requests may reach although they resolve to private addresses. */
  httpAllowHosts: string[];
  /** WhatsApp sessions; optional so that configs built by hand (tests) get the defaults. */
  whatsapp?: WhatsappConfig;
  /**
   * The address people and other systems reach this server at (no trailing slash): links in
   * invitations and flow webhook URLs are built from it, never from a request's Host header.
   */
  publicUrl: string;
  /** SMTP server for invitation emails (`smtp://user:pass@host:587`); null: links are copied by hand. */
  smtp: SmtpConfig | null;
  /** Credentials of whoever runs the server (queue dashboard, metrics); never a workspace role. */
  operator: OperatorConfig;
  /** Plans and Stripe; absent or `stripe: null`: billing is off (configs built by hand in tests). */
  billing?: BillingConfig;
  /** The support inbox; optional so that configs built by hand (tests) get the defaults. */
  inbox?: InboxConfig;
}

export interface InboxConfig {
  /** An agent whose inbox (its live connection) is gone this long counts as offline: their conversations go back to the queue. */
  presenceGraceMs: number;
}

export interface SmtpConfig {
  url: string;
  /** The From address of emails the server sends. */
  from: string;
}

export interface OperatorConfig {
  /** `ADMIN_TOKEN`: a bearer token for /admin/queues and /metrics; null when unset. */
  token: string | null;
  /** `ADMIN_USER` and `ADMIN_PASSWORD`: HTTP basic credentials for the same; null when either is unset. */
  basic: { user: string; password: string } | null;
  /** `METRICS_TOKEN`: a bearer token for /metrics only (a Prometheus scraper); null when unset. */
  metricsToken: string | null;
}

export interface WhatsappConfig {
  /** Folder of the local media store (downloaded and outbound media). */
  mediaDir: string;
  /** Largest media file downloaded from WhatsApp. */
  mediaMaxBytes: number;
  /** Most WhatsApp sessions one connector process holds. */
  maxChannelsPerProcess: number;
  /** Lease TTL: a dead holder's sessions move to another process within this time. */
  leaseTtlMs: number;
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/onemessage'),
  // `redis+cluster://host:port`: one node of a Redis Cluster (see platform/redis.ts).
  REDIS_URL: z.url({ protocol: /^rediss?(\+cluster)?$/ }).default('redis://127.0.0.1:6379'),
  DATABASE_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
  // Braces allowed: a Redis Cluster needs every key of a queue in one slot (`{om}`, a hash tag).
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_{}-]+$/)
    .default('om'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  ONEMESSAGE_SECRET_KEY: z.string().optional(),
  ONEMESSAGE_DATA_DIR: z.string().default('.onemessage'),
  DEMO_EMAIL: z.email().default('demo@onemessage.local'),
  DEMO_PASSWORD: z.string().min(8).default('onemessage-demo'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  HTTP_ALLOW_HOSTS: z.string().default(''),
  WHATSAPP_MEDIA_DIR: z.string().optional(),
  WHATSAPP_MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  WHATSAPP_MAX_CHANNELS_PER_PROCESS: z.coerce.number().int().positive().default(50),
  WHATSAPP_LEASE_TTL_MS: z.coerce.number().int().min(1_000).max(300_000).default(15_000),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  SMTP_FROM: z.string().min(3).optional(),
  ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  ADMIN_USER: z.string().min(1).optional(),
  ADMIN_PASSWORD: z.string().min(12, 'use at least 12 characters').optional(),
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'must be a Stripe secret key (sk_test_…, sk_live_…) or a restricted key (rk_…)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_\w+$/, "must be the endpoint's signing secret (whsec_…)")
    .optional(),
  STRIPE_WEBHOOK_TOLERANCE_S: z.coerce.number().int().min(1).max(3_600).default(300),
  STRIPE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  STRIPE_PRICE_PRO: z
    .string()
    .regex(/^price_\w+$/)
    .optional(),
  STRIPE_PRICE_BUSINESS: z
    .string()
    .regex(/^price_\w+$/)
    .optional(),
  BILLING_PLANS_FILE: z.string().min(1).optional(),
  INBOX_PRESENCE_GRACE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
});

/** The name of every environment variable the server reads (`.env.example` lists each one). */
export const ENV_VARIABLES = Object.keys(EnvSchema.shape) as readonly string[];

/** Reads and validates the environment. Warnings (such as a generated dev key) go to `warn`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, warn: (msg: string) => void = () => {}): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    // Every variable that is wrong, on one line: fixing them one start at a time is tedious.
    const wrong = zodIssueDetails(parsed.error).map((d) => `invalid environment variable ${d.path}: ${d.message}`);
    throw new ConfigError(wrong.join('; '));
  }
  const e = parsed.data;
  if (isClusterUrl(e.REDIS_URL) && !/\{[^{}]+\}/.test(e.REDIS_PREFIX)) {
    throw new ConfigError(
      `invalid environment variable REDIS_PREFIX: with a Redis Cluster (REDIS_URL ${e.REDIS_URL.split('://')[0]}://…) it must hold a hash tag such as {om}, so that each queue's keys share one slot; got "${e.REDIS_PREFIX}"`,
    );
  }
  return {
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'on',
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    port: e.PORT,
    host: e.HOST,
    secretKey: loadSecretKey({
      value: e.ONEMESSAGE_SECRET_KEY,
      production: e.NODE_ENV === 'production',
      dataDir: e.ONEMESSAGE_DATA_DIR,
      warn,
    }),
    demo: { email: e.DEMO_EMAIL, password: e.DEMO_PASSWORD },
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    dataDir: e.ONEMESSAGE_DATA_DIR,
    httpAllowHosts: e.HTTP_ALLOW_HOSTS.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    whatsapp: {
      mediaDir: e.WHATSAPP_MEDIA_DIR ?? `${e.ONEMESSAGE_DATA_DIR}/media`,
      mediaMaxBytes: e.WHATSAPP_MEDIA_MAX_BYTES,
      maxChannelsPerProcess: e.WHATSAPP_MAX_CHANNELS_PER_PROCESS,
      leaseTtlMs: e.WHATSAPP_LEASE_TTL_MS,
    },
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    smtp: e.SMTP_URL
      ? { url: e.SMTP_URL, from: e.SMTP_FROM ?? `OneMessage <no-reply@${new URL(e.PUBLIC_URL ?? 'http://localhost').hostname}>` }
      : null,
    operator: {
      token: e.ADMIN_TOKEN ?? null,
      basic: e.ADMIN_USER && e.ADMIN_PASSWORD ? { user: e.ADMIN_USER, password: e.ADMIN_PASSWORD } : null,
      metricsToken: e.METRICS_TOKEN ?? null,
    },
    billing: loadBillingConfig(e, warn),
    inbox: { presenceGraceMs: e.INBOX_PRESENCE_GRACE_SECONDS * 1000 },
  };
}
