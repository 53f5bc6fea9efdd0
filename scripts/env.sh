# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Source this file (`source scripts/env.sh`) for a shell with the venv, the ROS 2 wheels and the
# built package: `python -c 'from shadowhound_memory.srv import Recall'` then works.
# Run `make setup` (or scripts/setup.sh) first.

_shm_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
if [ ! -f "$_shm_root/install/setup.bash" ]; then
  echo "env.sh: $_shm_root/install is missing; run 'make setup' first" >&2
  return 1 2>/dev/null || exit 1
fi
# shellcheck disable=SC1091
source "$_shm_root/.venv/bin/activate"
# The venv is the ROS underlay: keep it on both paths, or the ament index loses std_msgs & co.
export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
export CMAKE_PREFIX_PATH="$VIRTUAL_ENV${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
# shellcheck disable=SC1091
source "$_shm_root/install/setup.bash"
# DDS stays on this machine unless the caller says otherwise: multicast out of the network card is
# not allowed on shared machines, and it is rarely wanted on a developer's laptop either.
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
# Models are loaded from local folders only; nothing is downloaded at run time.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# The source tree holds shadowhound_memory without its generated msg/srv: keep `python -c` and
# `python -m` run from the repository root from importing it instead of the installed package.
export PYTHONSAFEPATH=1
unset _shm_root
