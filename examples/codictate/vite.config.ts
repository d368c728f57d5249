import { sentryVitePlugin } from "@sentry/vite-plugin";
import { defineConfig } from "vite";
import { version } from "./package.json";

// The release name is the Sentry project slug and the app version: codictate@1.4.2.
export default defineConfig({
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { sourcemap: true, outDir: "dist" },
  plugins: [
    sentryVitePlugin({
      org: process.env.SENTRY_ORG,
      project: "codictate",
      authToken: process.env.SENTRY_AUTH_TOKEN,
      release: { name: `codictate@${version}` },
    }),
  ],
});
