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
Fixtures for the reliability tests: the chaos harness of `make chaos`, run briefly.

The harness lives in bench/chaos (scripts that print figures); these tests import its phases and
hold them to the bar: nothing acknowledged lost or duplicated, no node crashed.
"""

import pathlib
import sys

import pytest

CHAOS = pathlib.Path(__file__).resolve().parents[2] / 'bench' / 'chaos'
if str(CHAOS) not in sys.path:
    sys.path.insert(0, str(CHAOS))


@pytest.fixture
def probe():
    from common import Probe
    made = Probe('reliability_probe')
    yield made
    made.close()


@pytest.fixture(scope='session')
def embedder():
    import torch
    torch.set_num_threads(1)
    from shadowhound_memory.embeddings.local import SentenceTransformerProvider
    return SentenceTransformerProvider()
