#!/usr/bin/env bash
# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Run the whole test suite (or pytest arguments given) against the colcon-installed package.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/with-env.sh" python -m pytest test "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo 'run-tests: pytest collected no tests for this selection' >&2
  exit 0
fi
exit "$rc"
