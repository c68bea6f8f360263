import { defineConfig } from 'vite';

// The web dashboard (docs/dashboard.md): built into dist/web, served by the daemon at `/`.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: 'public',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // No data: URLs or inline code: the page's Content-Security-Policy allows files from the daemon only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
