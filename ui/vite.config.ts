/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));

// React's JSX goes through esbuild's automatic runtime, so no React plugin is needed.
export default defineConfig({
  root,
  clearScreen: false,
  esbuild: { jsx: "automatic" },
  server: { port: 1420, strictPort: true, watch: { ignored: ["**/src-tauri/**"] } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    chunkSizeWarningLimit: 800,
    // The desktop window, and the page participants open from the invite link (served by the room).
    rollupOptions: { input: { main: `${root}index.html`, participant: `${root}participant.html` } },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
