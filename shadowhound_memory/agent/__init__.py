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
The agent side of the memory without ROS: result types, errors and LLM tool definitions.

The ROS client that talks to the memory node is shadowhound_memory.ros.memory_client.
"""

from shadowhound_memory.agent.results import (Located, Memory, MemoryRequestError,
                                              MemoryUnavailableError, RecallAnswer, WriteResult)
from shadowhound_memory.agent.tools import (mcp_tools, MemoryBackend, openai_tools,
                                            ToolExecutor, TOOLS, ToolSpec)

__all__ = ['Located', 'Memory', 'MemoryBackend', 'MemoryRequestError', 'MemoryUnavailableError',
           'RecallAnswer', 'TOOLS', 'ToolExecutor', 'ToolSpec', 'WriteResult', 'mcp_tools',
           'openai_tools']
