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
    // Files copied into dist as they are (the flow prefetch script of index.html). Not editor/public:
    // that is the landing page served without a build, and its index.html would replace the app's.
    publicDir: 'static',
    plugins: [react()],
    build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
    server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
  };
});
