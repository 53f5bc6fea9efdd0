#!/usr/bin/env bash
# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Run one command inside the project's environment (venv, ROS wheels, built package), on a DDS
# domain of its own that stays on this machine, with ROS logs in a temporary folder.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# colcon's setup scripts read unset variables.
set +u
# shellcheck disable=SC1091
source "$root/scripts/env.sh"
set -u
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
# A random domain per run keeps concurrent runs (CI, a developer's shell) from seeing each other.
export ROS_DOMAIN_ID="${ROS_DOMAIN_ID:-$(( RANDOM % 90 + 10 ))}"
if [ -z "${ROS_LOG_DIR:-}" ]; then
  ROS_LOG_DIR=$(mktemp -d -t shm-roslog.XXXXXX)
  export ROS_LOG_DIR
fi
exec "$@"
