#!/usr/bin/env bash
# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# make eval-recall: check that no held-out text leaked into training data, then run the recall
# evaluation (held-out missions through MemoryService, Qdrant Edge on disk, MiniLM) and write
# eval/results/recall.json, recall_details.json, recall.md and recall.png.
#
#   EVAL_SEED=0                                  missions seed
#   RECALL_ARMS=dense,hybrid,hybrid+rules,...    arms to run (default: those without an LLM)
#   RECALL_UNMEASURED='...'                      why the arms left out were not measured
#   RECALL_ARGS='...'                            extra arguments for the evaluation
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
run() { nice "$root/scripts/with-env.sh" python -m "shadowhound_memory.evaluation.$1" "${@:2}"; }
log() { printf '[eval-recall %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

log 'leak check: held-out texts against the training generators'
run leak --seed "${EVAL_SEED:-0}"
log 'recall evaluation'
# shellcheck disable=SC2086
run recall_eval --seed "${EVAL_SEED:-0}" --out eval/results \
  --arms "${RECALL_ARMS:-dense,hybrid,hybrid-dbsf,hybrid+rules}" \
  --unmeasured-reason "${RECALL_UNMEASURED:-not requested in this run (RECALL_ARMS)}" \
  ${RECALL_ARGS:-}
