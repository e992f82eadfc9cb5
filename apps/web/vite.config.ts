import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// A static single-page app the portal serves at `/`. Nothing may end up inline in index.html (the portal's
// Content-Security-Policy allows scripts and styles from its own origin only), so no asset is inlined and no
// module-preload polyfill is injected.
export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    // `npm run dev -w @photoplane/web` against a running portal (npm start): one origin through the proxy.
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});
