#!/bin/sh
# Rebuilds dist/assets/ of the demo with esbuild 0.28.2 (the version the committed files came
# from): two entry points sharing modules, so the output has main-<hash>.js, settings-<hash>.js,
# a shared chunk-<hash>.js, and a .map beside each. @sentry/browser stays an external import, so
# no node_modules are needed beyond esbuild itself.
#
#   ESBUILD=/path/to/esbuild ./build.sh      # or: npm install esbuild@0.28.2 && ./build.sh
set -eu
cd "$(dirname "$0")"
ESBUILD="${ESBUILD:-./node_modules/.bin/esbuild}"
"$ESBUILD" --version
rm -rf dist/assets
"$ESBUILD" src/main.ts src/settings.ts \
  --bundle --minify --sourcemap --splitting --format=esm \
  --external:@sentry/browser \
  --define:import.meta.env.VITE_SENTRY_DSN=undefined \
  --entry-names='[name]-[hash]' --chunk-names='[name]-[hash]' \
  --outdir=dist/assets
