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


"""A node on the default (ONNX) embedding provider runs without torch in its process."""

import subprocess
import sys
import textwrap

HEAVY = ('torch', 'transformers', 'sentence_transformers')

BUILD_NODE = textwrap.dedent("""
    import sys
    import rclpy
    from rclpy.parameter import Parameter
    from shadowhound_memory.agent.tools import ToolExecutor
    from shadowhound_memory.ros.memory_client import MemoryClient
    from shadowhound_memory.ros.memory_node import MemoryNode
    rclpy.init()
    node = MemoryNode(node_name='lean_node', namespace='lean', parameter_overrides=[
        Parameter('store_path', value=sys.argv[1]),
        Parameter('embedding_provider', value=sys.argv[2])])
    client = MemoryClient(node, namespace='/lean')
    tools = ToolExecutor(client)
    print(node.service.retriever.embedder.__class__.__name__)
    heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
    print('HEAVY', ' '.join(heavy) or '-')
    node.destroy_node()
    rclpy.shutdown()
""").replace('{heavy!r}', repr(HEAVY))


def build_in_child(tmp_path, provider):
    result = subprocess.run([sys.executable, '-c', BUILD_NODE, str(tmp_path / provider), provider],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.split('\n')
    heavy = next(line for line in lines if line.startswith('HEAVY ')).split()[1:]
    return lines[0], [] if heavy == ['-'] else heavy


def test_the_default_node_client_and_tools_import_no_torch(ros, tmp_path):
    provider_class, heavy = build_in_child(tmp_path, 'onnx')
    assert provider_class == 'OnnxProvider'
    assert heavy == []


def test_the_torch_provider_still_loads_torch_when_chosen(ros, tmp_path):
    # The check above could pass by never importing anything: this one shows it can see torch.
    provider_class, heavy = build_in_child(tmp_path, 'torch')
    assert provider_class == 'SentenceTransformerProvider'
    assert 'torch' in heavy
