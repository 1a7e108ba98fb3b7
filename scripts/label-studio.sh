#!/usr/bin/env bash
# Start Label Studio from its own environment (.labelstudio/venv, `make label-studio-setup`), on
# loopback, with no traffic to the outside (telemetry, error reports and version checks off).
# Its sqlite database and uploaded files live in LABEL_STUDIO_BASE_DATA_DIR (.labelstudio/data).
# The first start creates the admin user and API token below (environment overrides them).
#
#   scripts/label-studio.sh [PORT]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${1:-8080}

export LABEL_STUDIO_BASE_DATA_DIR=${LABEL_STUDIO_BASE_DATA_DIR:-$root/.labelstudio/data}
export LABEL_STUDIO_USERNAME=${LABEL_STUDIO_USERNAME:-admin@celestial.local}
export LABEL_STUDIO_PASSWORD=${LABEL_STUDIO_PASSWORD:-celestial-admin}
export LABEL_STUDIO_USER_TOKEN=${LABEL_STUDIO_USER_TOKEN:-celestial-local-token}
# "Token <token>" authentication, as the export and pull commands use; read at the first start.
export LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true
# Empty DSNs, not unset: unset, Label Studio falls back to its own Sentry project.
export SENTRY_DSN='' FRONTEND_SENTRY_DSN=''
export COLLECT_ANALYTICS=false LATEST_VERSION_CHECK=false

mkdir -p "$LABEL_STUDIO_BASE_DATA_DIR"
echo "Label Studio on http://localhost:$port (user $LABEL_STUDIO_USERNAME); data in $LABEL_STUDIO_BASE_DATA_DIR"
exec "$root/.labelstudio/venv/bin/label-studio" start --no-browser --internal-host 127.0.0.1 \
  --port "$port"
