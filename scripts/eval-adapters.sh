#!/usr/bin/env bash
# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# make eval: generate the synthetic datasets, train a writing and a recall adapter on the tiny
# model, and compare base+prompt, base+schema, adapter+prompt and adapter+schema through a vLLM
# server started for the run, on in-distribution missions and on the out-of-distribution set
# (200 observations, 100 questions; leak-checked against the training files). Writes
# eval/results/latest.json and eval/results/report.md.
# Training resumes from its checkpoints, so an interrupted run continues where it stopped.
#
#   EVAL_SEED=0             dataset seed
#   EVAL_PAIRS=200          training writing pairs
#   EVAL_CONCURRENCY=16     requests in flight to vLLM (it batches them)
#   EVAL_ARGS='...'         extra arguments for the evaluate command
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
run() { nice "$root/scripts/with-env.sh" python -m "shadowhound_memory.training.$1" "${@:2}"; }
log() { printf '[eval %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

log 'datasets (synthetic missions; train, dev and test missions never overlap)'
run generate --out eval/data --seed "${EVAL_SEED:-0}" --writing-pairs "${EVAL_PAIRS:-200}" \
  --test-missions 3 --ood-missions 10
run validate eval/data/*.jsonl
run leakage eval/data/missions_ood.jsonl eval/data/{writing,recall}_{train,dev}.jsonl
for task in writing recall; do
  log "training the $task adapter (config/lora/$task-cpu.yaml)"
  run train --config "config/lora/$task-cpu.yaml" --resume
done
log 'evaluating four arms through vLLM'
# shellcheck disable=SC2086
run evaluate --missions eval/data/missions_test.jsonl --ood-missions eval/data/missions_ood.jsonl \
  --base-model .models/smollm2-135m-instruct \
  --writing-adapter eval/adapters/writing --recall-adapter eval/adapters/recall \
  --start-server "$root/.venv-vllm/bin/python" --max-observations 12 --max-questions 6 \
  --concurrency "${EVAL_CONCURRENCY:-16}" \
  --out eval/results ${EVAL_ARGS:-}
