#!/usr/bin/env python3
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
A minimal agent with long-term memory: an rclpy node, a MemoryClient and the memory tools.

    ros2 run shadowhound_memory memory_node &
    python examples/minimal_agent.py

The LLM is left out so that the example runs anywhere: the tool calls it would make are scripted
in OpenAI's format. With a real model, pass openai_tools() as `tools` to a chat completion and
give each tool call it returns to run_tool_call().
"""

import json
from typing import Any

import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from shadowhound_memory.agent.tools import openai_tools, ToolExecutor
from shadowhound_memory.ros.memory_client import MemoryClient
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread


def tool_call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    """Return a tool call as an OpenAI chat completion returns it (arguments as JSON text)."""
    return {'id': call_id, 'type': 'function',
            'function': {'name': name, 'arguments': json.dumps(arguments)}}


# What an LLM would call after being told about the charger and asked where it is.
SCRIPTED_TOOL_CALLS = [
    tool_call('call_1', 'remember', text='The charger is behind the sofa.', x=1.0, y=2.0,
              tags=['object:charger', 'room:living_room']),
    tool_call('call_2', 'recall', question='Where is the charger?', k=3),
    tool_call('call_3', 'recall_near', question='What is around here?', x=0.0, y=0.0,
              radius=5.0),
]


def run_tool_call(tools: ToolExecutor, call: dict[str, Any]) -> dict[str, Any]:
    """Run one tool call; return the tool message that goes back to the LLM."""
    result = tools.execute(call['function']['name'], call['function']['arguments'])
    return {'role': 'tool', 'tool_call_id': call['id'], 'content': json.dumps(result)}


def converse(node: Node, memory_namespace: str = '') -> list[dict[str, Any]]:
    """Play the scripted tool calls against the memory node; return the tool messages."""
    memory = MemoryClient(node, namespace=memory_namespace, timeout_s=30.0)
    try:
        tools = ToolExecutor(memory)
        return [run_tool_call(tools, call) for call in SCRIPTED_TOOL_CALLS]
    finally:
        memory.destroy()


def main(args: list[str] | None = None) -> int:
    """Spin a node in a thread of its own, run the agent loop in this one; 1 if a tool failed."""
    rclpy.init(args=args)
    node = rclpy.create_node('minimal_agent')
    # The executor runs in another thread, so the agent loop below may block on the memory.
    executor = MultiThreadedExecutor(num_threads=2)
    executor.add_node(node)
    spinner = SpinThread(executor, 'minimal_agent-spin').start()
    try:
        names = [tool['function']['name'] for tool in openai_tools()]
        print(f'memory tools for the LLM: {", ".join(names)}')
        messages = converse(node)
    finally:
        # In this order, or the process may abort at exit: stop the executor and join its
        # thread, then destroy the node, then shut rclpy down.
        shutdown_spinning([spinner], [node])
    for message in messages:
        print(f"{message['tool_call_id']}: {message['content']}")
    return 0 if all(json.loads(m['content'])['ok'] for m in messages) else 1


if __name__ == '__main__':
    raise SystemExit(main())
