import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { editorApp } from './editor-app.ts';

/** Serves `editorApp` for a folder with no build, with a final 404 as the API has. */
async function withoutBuild(paths: string[]): Promise<{ status: number; type: string | null; text: string }[]> {
  const app = express();
  app.use(editorApp('/nonexistent/editor/dist'));
  app.use((_req, res) => void res.status(404).json({ error: { code: 'route_not_found' } }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return await Promise.all(
      paths.map(async (path) => {
        const res = await fetch(base + path);
        return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
      }),
    );
  } finally {
    server.close();
  }
}

describe('when the editor was not built', () => {
  it('answers / with a page that says how to build it, and leaves other paths to the 404', async () => {
    const [root, page, file] = await withoutBuild(['/', '/flows', '/landing.css']);
    expect(root!.status).toBe(200);
    expect(root!.type).toMatch(/^text\/html/);
    expect(root!.text).toContain('npm run build:editor');
    expect(root!.text).not.toMatch(/<script|<style/);
    expect(page!.status).toBe(404);
    expect(file!.status).toBe(404);
  });
});
