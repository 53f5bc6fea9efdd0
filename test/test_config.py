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

"""MemoryConfig, config/memory.yaml and docs/parameters.md's table say the same thing."""

import pathlib

import pytest
from shadowhound_memory.compose.config import MemoryConfig
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def yaml_parameters() -> dict:
    document = yaml.safe_load((ROOT / 'config' / 'memory.yaml').read_text())
    return document['/**/memory_node']['ros__parameters']


def test_the_shipped_yaml_validates_and_names_only_real_parameters():
    parameters = yaml_parameters()
    MemoryConfig.model_validate(parameters)
    unknown = set(parameters) - set(MemoryConfig.model_fields)
    assert not unknown


def test_the_yaml_sets_every_parameter_but_the_environment_defaulted_ones():
    missing = set(MemoryConfig.model_fields) - set(yaml_parameters())
    assert missing == {'memory_backend', 'adapter_mode', 'embedding_url'}


def test_the_parameter_page_documents_every_parameter():
    page = (ROOT / 'docs' / 'parameters.md').read_text()
    assert [n for n in MemoryConfig.model_fields if f'| `{n}` |' not in page] == []


def test_environment_variables_set_backend_and_adapter_defaults(monkeypatch):
    monkeypatch.setenv('MEMORY_BACKEND', 'skip')
    monkeypatch.setenv('ADAPTER_MODE', 'ALL')
    config = MemoryConfig()
    assert (config.memory_backend, config.adapter_mode) == ('skip', 'all')


@pytest.mark.parametrize('bad', [
    {'recall_k': 0}, {'mission_id': 'has spaces'}, {'adapter_mode': 'sometimes'},
    {'memory_backend': 'openai'}, {'weight_recency': -1.0}, {'no_such_parameter': 1},
])
def test_invalid_settings_are_rejected(bad):
    with pytest.raises(ValueError):
        MemoryConfig.model_validate(bad)
