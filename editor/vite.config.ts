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
    // Files copied into dist as they are (the flow prefetch script of index.html).
    publicDir: 'static',
    plugins: [react()],
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      sourcemap: false,
      chunkSizeWarningLimit: 600,
      rolldownOptions: {
        output: {
          // Every page is a chunk of its own (shell/lazy-page.tsx); the libraries they share are
          // grouped by what changes together, so that a page downloads only the groups it uses and
          // a release that changes the app's code keeps the libraries in the browser's cache.
          codeSplitting: {
            groups: [
              {
                name: 'vendor-react',
                test: /node_modules[\\/](react|react-dom|scheduler|react-router|cookie|set-cookie-parser)[\\/]/,
                priority: 40,
              },
              {
                name: 'vendor-mantine',
                test: /node_modules[\\/](@mantine[\\/](core|hooks|notifications|modals|store)|@floating-ui|react-remove-scroll|react-remove-scroll-bar|react-style-singleton|use-callback-ref|use-sidecar|get-nonce|tslib|react-number-format|react-textarea-autosize|clsx|type-fest)[\\/]/,
                priority: 30,
              },
              { name: 'vendor-query', test: /node_modules[\\/]@tanstack[\\/]/, priority: 30 },
              {
                name: 'vendor-canvas',
                test: /node_modules[\\/](@xyflow|d3-[a-z-]+|zustand|classcat|use-sync-external-store)[\\/]/,
                priority: 30,
              },
              { name: 'vendor-zod', test: /node_modules[\\/]zod[\\/]/, priority: 30 },
            ],
          },
        },
      },
    },
    server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
  };
});
