# Copyright 2026 The shadowhound_memory Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.


"""
Fixtures of the adapter pipeline tests: the tiny model and a small dataset.

The model is SmolLM2-135M-Instruct as scripts/setup-vllm.sh converts it (make test runs it);
the vLLM server is the session's one from test/conftest.py.
"""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / '.models' / 'smollm2-135m-instruct'


@pytest.fixture(scope='session')
def tiny_model():
    if not (MODEL / 'model.safetensors').exists():
        pytest.skip(f'{MODEL} is missing: run scripts/setup-vllm.sh')
    import torch
    torch.set_num_threads(1)
    return str(MODEL)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    from shadowhound_memory.training.generate import generate
    out = tmp_path_factory.mktemp('lora-data')
    generate(out, seed=3, writing_pairs=16, dev_fraction=0.25, test_missions=1)
    return out


@pytest.fixture(scope='session')
def pipeline_embedder():
    from shadowhound_memory.embeddings.local import SentenceTransformerProvider
    return SentenceTransformerProvider(threads=1)
