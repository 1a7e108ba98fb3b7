#!/usr/bin/env bash
# Build a stand-in for docker.io/library/python:3.11-slim from Debian packages, for builders that
# cannot pull from Docker Hub. BentoML's generated Dockerfile starts FROM python:3.11-slim; this
# image offers what it uses: Debian bookworm, python3.11 as `python`, pip, venv, apt and CA
# certificates. Lean: no pip (the Bento's Dockerfile installs uv in a builder stage, see
# deploy/container/Dockerfile.j2), no documentation, manual pages or translations.
# Needs root (debootstrap) and podman.
#
#   scripts/build-base-image.sh [IMAGE]     (default: docker.io/library/python:3.11-slim)
set -euo pipefail

image=${1:-docker.io/library/python:3.11-slim}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

debootstrap --variant=minbase --include=python3.11,ca-certificates \
  bookworm "$root" http://deb.debian.org/debian >/dev/null

# Documentation, manual pages and translations: dpkg leaves them out of what it installs from
# now on (copyright files stay), and those debootstrap installed go.
cat > "$root/etc/dpkg/dpkg.cfg.d/01-lean" <<'EOF_DPKG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
EOF_DPKG
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian/*
rm -rf "$root"/var/cache/debconf/*-old "$root"/var/log/*.log "$root"/var/log/apt/*

# pip may install into this interpreter (Debian marks it externally managed).
rm -f "$root"/usr/lib/python3.11/EXTERNALLY-MANAGED
ln -sf /usr/bin/python3.11 "$root/usr/local/bin/python"
ln -sf /usr/bin/python3.11 "$root/usr/local/bin/python3"
# The builder's package sources and CA bundle, so apt and pip inside reach the same registries.
cp /etc/apt/sources.list "$root/etc/apt/sources.list" 2>/dev/null || true
cp -r /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# The builder's local CAs (an egress proxy's, say) survive the update-ca-certificates that
# installing ca-certificates in the Bento's Dockerfile runs.
mkdir -p "$root/usr/local/share/ca-certificates"
cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

tar -C "$root" -c . | podman import \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV UV_NATIVE_TLS=1' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin' \
  --change 'CMD ["python"]' \
  --change "LABEL org.celestial.base-recipe=$(sha256sum "$0" | cut -c1-16)" \
  - "$image" >/dev/null
echo "built $image"
