import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = dirname(fileURLToPath(import.meta.url));
/** `npm run dev:editor` proxies the API to a running `aiotflow serve` (AIOTFLOW_URL, default port 1880). */
const target = process.env["AIOTFLOW_URL"] ?? "http://127.0.0.1:1880";

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { "/api": { target, ws: true }, "/metrics": target } },
});
