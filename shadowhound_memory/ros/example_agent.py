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
An example agent node with long-term memory, for `ros2 run shadowhound_memory example_agent`.

Text on agent/remember is stored; a question on agent/question is answered on agent/answer with
the ids of the memories the answer cites. Callbacks only start requests and return: the answers
arrive in done callbacks, so the executor stays free to deliver them. A question asked while
writes are still on their way waits for them, so the agent answers from what it was just told.
"""

import threading
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.task import Future
from shadowhound_memory.agent.results import RecallAnswer, WriteResult
from shadowhound_memory.domain.errors import MemoryPackageError
from shadowhound_memory.ros.memory_client import MemoryClient
from shadowhound_memory.ros.runner import run_node
from std_msgs.msg import String


def answer_text(answer: RecallAnswer) -> str:
    """Return the answer as published on agent/answer: the answer, then the ids it cites."""
    return f'{answer.answer} (cites: {", ".join(answer.cited_ids) or "nothing"})'


class ExampleAgent(Node):
    """Remembers what it is told on agent/remember and answers agent/question from memory."""

    def __init__(self, **kwargs: Any) -> None:
        """Declare parameters, connect to the memory node and subscribe."""
        super().__init__('example_agent', **kwargs)
        namespace = self._parameter('memory_namespace', '',
                                    "The memory node's namespace; empty: this node's own.")
        timeout_s = self._parameter('memory_timeout_s', 10.0,
                                    'How long a memory request may take, discovery included.')
        mission_id = self._parameter('mission_id', '',
                                     ('Mission to remember and recall in; empty: the memory '
                                      "node's current mission."))
        self.recall_k = self._parameter('recall_k', 3, 'How many memories a question recalls.')
        self.memory = MemoryClient(self, namespace=namespace, timeout_s=timeout_s,
                                   mission_id=mission_id or None)
        self._lock = threading.Lock()
        self._writes_in_flight = 0
        self._deferred: list[str] = []
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.answers = self.create_publisher(String, 'agent/answer', qos)
        self.create_subscription(String, 'agent/remember', self._on_remember, qos)
        self.create_subscription(String, 'agent/question', self._on_question, qos)

    def _parameter(self, name: str, default: Any, description: str) -> Any:
        descriptor = ParameterDescriptor(name=name, description=description, read_only=True)
        return self.declare_parameter(name, default, descriptor).value

    def _on_remember(self, msg: String) -> None:
        text = msg.data.strip()
        if not text:
            return
        with self._lock:
            self._writes_in_flight += 1
        try:
            future = self.memory.write_async(text)
        except MemoryPackageError as exc:
            self.get_logger().warning(f'not remembered: {exc}')
            self._write_done()
            return
        future.add_done_callback(self._on_written)

    def _on_written(self, future: 'Future[WriteResult]') -> None:
        try:
            result = future.result()
        except MemoryPackageError as exc:
            self.get_logger().warning(f'not remembered: {exc}')
        else:
            assert result is not None
            self.get_logger().info(f'remembered [{result.memory.id}]: {result.memory.text}')
        self._write_done()

    def _write_done(self) -> None:
        with self._lock:
            self._writes_in_flight -= 1
            deferred = [] if self._writes_in_flight else self._deferred
            if not self._writes_in_flight:
                self._deferred = []
        for question in deferred:
            self._ask(question)

    def _on_question(self, msg: String) -> None:
        question = msg.data.strip()
        if not question:
            return
        with self._lock:
            if self._writes_in_flight:
                self._deferred.append(question)
                return
        self._ask(question)

    def _ask(self, question: str) -> None:
        try:
            future = self.memory.recall_async(question, k=self.recall_k)
        except MemoryPackageError as exc:
            self._publish(f'I cannot ask my memory that: {exc}')
            return
        future.add_done_callback(self._on_recalled)

    def _on_recalled(self, future: 'Future[RecallAnswer]') -> None:
        try:
            answer = future.result()
        except MemoryPackageError as exc:
            self._publish(f'I could not recall: {exc}')
            return
        assert answer is not None
        self._publish(answer_text(answer))

    def _publish(self, text: str) -> None:
        self.answers.publish(String(data=text))


def main(args: list[str] | None = None) -> int:
    """Run the example agent until shutdown; return the process exit code."""
    return run_node(ExampleAgent, 'example_agent', num_threads=2, args=args)


if __name__ == '__main__':
    raise SystemExit(main())
