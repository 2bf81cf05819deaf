import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The editor is built into editor/dist, which the API process serves at `/` (api/app.ts). */
export default defineConfig(({ command }) => {
  // A build is always React's production build (JSX runtime included): Vite and the React plugin
  // otherwise follow an inherited NODE_ENV (vitest sets "test"), and React's development build
  // is several times slower on a large canvas.
  if (command === 'build') process.env.NODE_ENV = 'production';
  return {
    root: fileURLToPath(new URL('.', import.meta.url)),
    // publicDir would copy the old landing page's index.html over the app's.
    publicDir: false,
    plugins: [react()],
    build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
    server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
  };
});
