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

# BentoML 1.4.39 re-reads the Bento's dockerfile_template from a temporary directory and refuses
# it unless that directory is under the working directory (bentoml/BentoML#5566): run from /.
containerize() { (cd / && bentoml containerize "$@"); }

case "$backend" in
  docker)
    containerize "$bento" --backend docker --image-tag "$image"
    ;;
  buildah)
    # Docker Hub may be out of reach: make the base image locally if it is missing, or was made by
    # another version of the recipe (the label holds the recipe's hash).
    base=docker.io/library/python:3.11-slim
    recipe=$(sha256sum "$(dirname "$0")/build-base-image.sh" | cut -c1-16)
    made_by=$(podman image inspect --format '{{index .Labels "org.celestial.base-recipe"}}' \
      "$base" 2>/dev/null || true)
    if [[ "$made_by" != "$recipe" ]]; then
      "$(dirname "$0")/build-base-image.sh" "$base"
    fi
    # chroot isolation and the host network: no user namespaces or CNI needed to build.
    containerize "$bento" --backend buildah --image-tag "$image" \
      --opt isolation=chroot --opt network=host
    ;;
  *)
    echo "unknown CONTAINER_BACKEND '$backend' (docker or buildah)" >&2
    exit 2
    ;;
esac
echo "built $image with $backend"
