/**
 * Vite builds the app into dist/ (served by harmont-server at `/`). In development
 * (`npm run dev` at the repository root) Vite serves the app with hot reload and passes the API
 * and the docs through to the server, so the browser sees one origin, as in production.
 */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = process.env.HARMONT_API_PROXY ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    // Everything ships as files: the Content-Security-Policy allows no inline script, and data:
    // URLs only for images.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": { target: api },
      "/docs": { target: api },
      "/llms.txt": { target: api },
    },
  },
});
