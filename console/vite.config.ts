import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The admin console's build: a static single-page app in console/dist, served by the local
 * stack (infra/local/console-static.ts) and by CloudFront (infra/constructs/console-site.ts).
 * Offline by design: no web fonts, no CDN, icons are inline SVG.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [preact({ devtoolsInProd: false, prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small app: a single chunk keeps the CloudFront cache simple.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite --config console/vite.config.ts` for a dev server against `npm start`.
    proxy: { '/v1': 'http://127.0.0.1:3000', '/health': 'http://127.0.0.1:3000' },
  },
});
