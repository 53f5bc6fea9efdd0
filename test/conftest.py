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

"""Session fixtures shared by the core, LLM and node tests: the real vLLM server."""

import pytest
import vllm_server


@pytest.fixture(scope='session')
def llm_server(tmp_path_factory):
    """Start the real vLLM server once for the session (or reach the one the env names)."""
    server = vllm_server.start_server(tmp_path_factory.mktemp('vllm'))
    yield server
    vllm_server.stop_server(server)
