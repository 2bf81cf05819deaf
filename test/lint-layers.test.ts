import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli-process.ts';

// The layer rules of eslint.config.js, run through ESLint's Node API on a file placed (by path,
// not on disk) in the folder under test: each rule must refuse a deliberate violation, and allow
// what the folder may import.
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: REPO_ROOT });
});

/** The no-restricted-imports messages for `source` as if it were the file at `path`. */
async function restrictedImports(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(REPO_ROOT, path) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('when a file of engine/ imports infrastructure', () => {
  it.each([
    ['engine/runs/probe.ts', "import { Queue } from 'bullmq';\nexport const q = Queue;"],
    ['engine/runs/probe.ts', "import type { Redis } from 'ioredis';\nexport type R = Redis;"],
    ['engine/flows/nodes/probe.ts', "import type { EntityManager } from '@mikro-orm/postgresql';\nexport type E = EntityManager;"],
    ['engine/probe.ts', "import pg from 'pg';\nexport const p = pg;"],
    ['engine/runs/probe.ts', "import { newId } from '../../platform/ids.ts';\nexport const n = newId;"],
    ['engine/flows/nodes/probe.ts', "import { x } from '../../../connectors/whatsapp/wa-ids.ts';\nexport const y = x;"],
    ['engine/probe.ts', "export { sendError } from '../api/http-errors.ts';"],
  ])('refuses it (%s: %s)', async (path, source) => {
    const messages = await restrictedImports(path, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^'.+' import is restricted from being used by a pattern\. engine\/ is the pure core/);
  });

  // The rule matched package names exactly, so a subpath reached the same library unrefused.
  it.each([
    ['engine/runs/probe.ts', "import { Client } from 'pg/lib/client';\nexport const c = Client;"],
    ['engine/runs/probe.ts', "import Redis from 'ioredis/built/Redis';\nexport const r = Redis;"],
    ['engine/probe.ts', "import { Router } from 'express/lib/router';\nexport const r = Router;"],
    ['engine/flows/probe.ts', "import type { EntityManager } from '@mikro-orm/core/EntityManager';\nexport type E = EntityManager;"],
    ['engine/flows/probe.ts', "export { Worker } from 'bullmq/dist/esm/classes/worker';"],
  ])('refuses a subpath of an infrastructure package (%s: %s)', async (path, source) => {
    const messages = await restrictedImports(path, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^'.+' import is restricted from being used by a pattern\. engine\/ is the pure core: no database/);
  });

  it('allows a package whose name only begins like a refused one', async () => {
    const source = "import { pgTable } from 'pgvector-probe';\nimport { x } from 'expressive-probe';\nexport const all = [pgTable, x];";
    expect(await restrictedImports('engine/runs/probe.ts', source)).toEqual([]);
  });

  it('allows the core, zod and the pure libraries it uses', async () => {
    const source =
      "import { z } from 'zod';\nimport { renderTemplateText } from '../flows/template.ts';\nimport { RE2JS } from 're2js';\nexport const all = [z, renderTemplateText, RE2JS];";
    expect(await restrictedImports('engine/runs/probe.ts', source)).toEqual([]);
  });
});

describe('when a file of connectors/ imports api/', () => {
  it('refuses it', async () => {
    const messages = await restrictedImports(
      'connectors/whatsapp/probe.ts',
      "import type { ApiDeps } from '../../api/api-deps.ts';\nexport type D = ApiDeps;",
    );
    expect(messages).toEqual([expect.stringContaining('connectors/ never import api/')]);
  });

  it('allows the engine, the platform and its own libraries', async () => {
    const source =
      "import type { Clock } from '../../engine/clock.ts';\nimport type { Logger } from '../../platform/logger.ts';\nimport type { WAMessage } from '@whiskeysockets/baileys';\nexport type All = [Clock, Logger, WAMessage];";
    expect(await restrictedImports('connectors/whatsapp/probe.ts', source)).toEqual([]);
  });
});

describe('when a file of api/ imports the WhatsApp connector', () => {
  it('refuses it: the routes go through the ChannelSessions port', async () => {
    const messages = await restrictedImports(
      'api/routes/probe.ts',
      "import { setDesired } from '../../connectors/whatsapp/whatsapp-sessions.sql.ts';\nexport const s = setDesired;",
    );
    expect(messages).toEqual([expect.stringContaining('ChannelSessions port')]);
  });
});

describe('when a file of platform/ imports api/', () => {
  it('refuses it', async () => {
    const messages = await restrictedImports(
      'platform/usage/probe.ts',
      "import type { ApiDeps } from '../../api/api-deps.ts';\nexport type D = ApiDeps;",
    );
    expect(messages).toEqual([expect.stringContaining('platform/ never imports api/')]);
  });

  it('allows it in platform/runtime, the composition root', async () => {
    expect(
      await restrictedImports('platform/runtime/probe.ts', "import { createApp } from '../../api/app.ts';\nexport const c = createApp;"),
    ).toEqual([]);
  });
});

describe('when a file of platform/ imports infrastructure', () => {
  it('is not refused: the runtime is where infrastructure belongs', async () => {
    expect(await restrictedImports('platform/automation/probe.ts', "import { Queue } from 'bullmq';\nexport const q = Queue;")).toEqual([]);
  });
});
