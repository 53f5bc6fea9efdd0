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
Fixtures for node tests: real rclpy, real DDS (on this run's domain), real store and model.

Each test gets its own namespace, so nodes of different tests never answer each other even though
they share the run's DDS domain.
"""

import itertools
import threading
import time
from typing import Any

import pytest
import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread

_names = itertools.count()


@pytest.fixture(scope='session')
def embedder():
    import torch
    torch.set_num_threads(1)
    from shadowhound_memory.embeddings.local import SentenceTransformerProvider
    return SentenceTransformerProvider()


@pytest.fixture(scope='session')
def ros():
    rclpy.init()
    yield
    rclpy.try_shutdown()


class Harness:
    """A memory node and a probe node spun by one multi-threaded executor in a thread."""

    def __init__(self, node: Node, namespace: str) -> None:
        self.node = node
        self.namespace = namespace
        self.probe = rclpy.create_node(f'probe_{namespace}', namespace=namespace)
        self.executor = MultiThreadedExecutor(num_threads=4)
        self.executor.add_node(node)
        self.executor.add_node(self.probe)
        self.spinner = SpinThread(self.executor, f'harness-{namespace}').start()

    def call(self, srv_type: Any, name: str, request: Any, timeout: float = 60.0) -> Any:
        """Call a service of the node through DDS and wait for the answer."""
        client = self.probe.create_client(srv_type, name)
        try:
            assert client.wait_for_service(timeout_sec=timeout), f'{name} never came up'
            done = threading.Event()
            future = client.call_async(request)
            future.add_done_callback(lambda _: done.set())
            assert done.wait(timeout), f'{name} did not answer within {timeout} s'
            return future.result()
        finally:
            self.probe.destroy_client(client)

    def wait_for(self, predicate: Any, timeout: float = 30.0, what: str = 'condition') -> None:
        """Wait until predicate() is true, failing with what was awaited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f'timed out after {timeout} s waiting for {what}')

    def close(self) -> None:
        # The session's context stays up for the other tests.
        ended = shutdown_spinning([self.spinner], [self.probe, self.node],
                                  shutdown_context=False)
        assert ended, 'the harness spin thread did not end'


@pytest.fixture
def make_memory(ros, embedder, tmp_path):
    """Return a factory that starts a memory node with parameters and returns its harness."""
    from shadowhound_memory.ros.memory_node import MemoryNode
    harnesses = []

    def factory(**parameters: Any) -> Harness:
        namespace = f'test{next(_names)}'
        values = {'store_path': str(tmp_path / f'store_{namespace}'), 'mission_id': 'm1',
                  'diagnostics_period_s': 0.2, 'markers_period_s': 0.2, **parameters}
        node = MemoryNode(embedder=embedder, namespace=namespace,
                          parameter_overrides=[Parameter(k, value=v) for k, v in values.items()])
        harness = Harness(node, namespace)
        harnesses.append(harness)
        return harness

    yield factory
    for harness in harnesses:
        harness.close()
