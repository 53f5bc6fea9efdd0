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
What every chaos phase shares: a memory node in a process of its own, and a probe to call it.

The node is the installed `memory_node` executable, started as `ros2 run` would start it, in a
process group of its own so that SIGKILL reaches it and nothing else. The probe is an rclpy node
in a context of its own, spun in a background thread, so a phase can call services while the
node it talks to is killed and started again.
"""

from collections.abc import Callable
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from ament_index_python.packages import get_package_prefix, get_package_share_directory
from diagnostic_msgs.msg import DiagnosticArray
import psutil
import rclpy
from rclpy.executors import SingleThreadedExecutor
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (nearest rank) of values; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class NodeProcess:
    """One memory_node process with the given parameters; counts exits nobody asked for."""

    def __init__(self, namespace: str, log: pathlib.Path, params: dict[str, Any],
                 env: dict[str, str] | None = None) -> None:
        self.namespace = namespace
        self.log = log
        self.params = params
        self.env = env
        self.process: subprocess.Popen | None = None
        self.unexpected_exits = 0
        self.exit_codes: list[int] = []

    def start(self) -> 'NodeProcess':
        """Start the node (the previous process, if any, must have ended)."""
        executable = pathlib.Path(get_package_prefix('shadowhound_memory'), 'lib',
                                  'shadowhound_memory', 'memory_node')
        params = pathlib.Path(get_package_share_directory('shadowhound_memory'), 'config',
                              'memory.yaml')
        args = [str(executable), '--ros-args', '--params-file', str(params),
                '-r', f'__ns:=/{self.namespace}']
        for name, value in self.params.items():
            args += ['-p', f'{name}:={value}']
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open('ab') as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True,
                                            env={**os.environ, **(self.env or {})})
        return self

    @property
    def pid(self) -> int:
        """Return the process id of the running node."""
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        """Tell whether the node process is running."""
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> bool:
        """Tell whether it runs; an exit not caused by kill() or stop() counts as a crash."""
        if self.process is not None and self.process.poll() is not None:
            self.unexpected_exits += 1
            self.exit_codes.append(self.process.returncode)
            self.process = None
            return False
        return self.process is not None

    def kill(self) -> None:
        """SIGKILL the node's process group and reap it."""
        if self.check_alive():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self, timeout: float = 60.0) -> int:
        """Stop the node with SIGINT as Ctrl-C would; return its exit code."""
        if not self.check_alive():
            return -1
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        self.process = None
        return code

    def wait_exit(self, timeout: float) -> int:
        """Wait for a node that is expected to end on its own; return its exit code."""
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code

    def rss_mb(self) -> float:
        """Return the resident memory of the node and its children in MB."""
        try:
            process = psutil.Process(self.pid)
            total = process.memory_info().rss
            for child in process.children(recursive=True):
                total += child.memory_info().rss
        except psutil.Error:
            return 0.0
        return total / 2**20


class Probe:
    """A client node of its own context, spun in a background thread."""

    def __init__(self, name: str) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self._clients: dict[tuple[Any, str], Any] = {}
        # The latest values of each /diagnostics status, by (name, hardware id).
        self._diagnostics: dict[tuple[str, str], dict[str, str]] = {}
        self._diagnostics_lock = threading.Lock()
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)
        self.spinner = SpinThread(SingleThreadedExecutor(context=self.context), f'{name}-spin')
        self.spinner.executor.add_node(self.node)
        self.spinner.start()

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        with self._diagnostics_lock:
            for status in msg.status:
                self._diagnostics[(status.name, status.hardware_id)] = {
                    kv.key: kv.value for kv in status.values}

    def wait_diagnostics(self, predicate: Callable[[dict[str, str]], bool], what: str,
                         node: 'NodeProcess', timeout: float) -> float:
        """Wait until a status on /diagnostics satisfies predicate; return the seconds taken."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not node.check_alive():
                raise RuntimeError(f'the node exited while waiting for {what}; see {node.log}')
            with self._diagnostics_lock:
                statuses = list(self._diagnostics.values())
            if any(predicate(values) for values in statuses):
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f'no {what} on /diagnostics within {timeout} s; see {node.log}')

    def client(self, srv_type: Any, name: str) -> Any:
        """Return the (cached) client of a service."""
        key = (srv_type, name)
        if key not in self._clients:
            self._clients[key] = self.node.create_client(srv_type, name)
        return self._clients[key]

    def call(self, srv_type: Any, name: str, request: Any, timeout: float = 30.0) -> Any:
        """Call a service; return the response, or None when none came within timeout."""
        client = self.client(srv_type, name)
        if not client.wait_for_service(timeout_sec=timeout):
            return None
        done = threading.Event()
        future = client.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout):
            client.remove_pending_request(future)
            return None
        return future.result()

    def wait_ready(self, srv_type: Any, name: str, request: Any, node: NodeProcess,
                   timeout: float = 120.0) -> float:
        """Wait until the service answers successfully; return the seconds it took."""
        started = time.monotonic()
        client = self.client(srv_type, name)
        while time.monotonic() - started < timeout:
            if not node.check_alive():
                raise RuntimeError(f'the node exited while starting; see {node.log}')
            if client.wait_for_service(timeout_sec=0.1):
                response = self.call(srv_type, name, request, timeout=10.0)
                if response is not None and response.success:
                    return time.monotonic() - started
        raise RuntimeError(f'{name} did not answer within {timeout} s; see {node.log}')

    def close(self) -> None:
        """Stop spinning, destroy the node, release the context (in an order that cannot abort)."""
        shutdown_spinning([self.spinner], [self.node], self.context)


def dump_store(path: pathlib.Path) -> list[dict[str, Any]]:
    """Open a store folder in a new process (as after a reboot); return its records."""
    result = subprocess.run([sys.executable, str(HERE / 'store_dump.py'), str(path)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f'reopening the store failed (exit code {result.returncode}): '
                           f'{result.stderr[-2000:]}')
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records
