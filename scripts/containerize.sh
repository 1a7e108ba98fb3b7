#!/usr/bin/env bash
# `bentoml containerize` the Bento into IMAGE, with Docker where a daemon answers, otherwise with
# buildah (podman's builder), which needs no daemon. CONTAINER_BACKEND=docker|buildah overrides.
#
#   scripts/containerize.sh BENTO_TAG IMAGE
set -euo pipefail

bento=$1
image=$2
backend=${CONTAINER_BACKEND:-}
if [[ -z "$backend" ]]; then
  if docker info >/dev/null 2>&1; then backend=docker; else backend=buildah; fi
fi

case "$backend" in
  docker)
    bentoml containerize "$bento" --backend docker --image-tag "$image"
    ;;
  buildah)
    # Docker Hub may be out of reach: make the base image locally if it is missing.
    if ! podman image exists docker.io/library/python:3.11-slim; then
      "$(dirname "$0")/build-base-image.sh"
    fi
    # chroot isolation and the host network: no user namespaces or CNI needed to build.
    bentoml containerize "$bento" --backend buildah --image-tag "$image" \
      --opt isolation=chroot --opt network=host
    ;;
  *)
    echo "unknown CONTAINER_BACKEND '$backend' (docker or buildah)" >&2
    exit 2
    ;;
esac
echo "built $image with $backend"
