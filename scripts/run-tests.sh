#!/usr/bin/env bash
# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Run the whole test suite, or the test files/folders given, against the colcon-installed package.
# `scripts/run-tests.sh test/core/test_x.py -k y` runs that file only: a path among the arguments
# replaces the default `test` folder instead of being added to it (pytest would otherwise collect
# the whole suite as well).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
where=(test)
for arg in "$@"; do
  case "$arg" in
    -*) ;;
    *) if [ -e "${arg%%::*}" ]; then where=(); break; fi ;;
  esac
done
"$root/scripts/with-env.sh" python -m pytest "${where[@]}" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo 'run-tests: pytest collected no tests for this selection' >&2
  exit 0
fi
exit "$rc"
