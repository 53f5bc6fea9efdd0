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
An executor spinning in a thread of its own, and the one shutdown order that cannot abort.

A thread that is still inside rclpy's wait when the interpreter exits is killed while it holds
C++ frames, and the process dies with SIGABRT ("terminate called without an active exception")
after all its work is done. So the spin thread is not a daemon, and shutdown goes: stop the
executor, join its thread with a deadline (if it is still inside rclpy then, shut the context
down, which ends its loop), destroy the nodes, shut rclpy down.

The thread spins with a bounded wait instead of Executor.spin(): Executor.shutdown() destroys
the guard condition that wakes the wait, and a thread that read the guard just before that waits
for the next event of its nodes, which may never come. A bounded wait ends the loop in
WAKE_PERIOD_S whatever the interleaving.
"""

from collections.abc import Iterable
import threading

import rclpy
from rclpy.context import Context
from rclpy.executors import Executor, ExternalShutdownException
from rclpy.node import Node

# Generous on purpose: on a machine with every core busy a woken thread may wait seconds for
# the interpreter lock; a thread that needs longer than this is stuck in a callback.
JOIN_TIMEOUT_S = 30.0
# The longest a spin thread waits before it looks at its stop flag again.
WAKE_PERIOD_S = 0.5


class SpinThread:
    """Spins an executor in a non-daemon thread until stop()."""

    def __init__(self, executor: Executor, name: str = 'ros-spin') -> None:
        """Wrap the executor; call start() to spin it."""
        self.executor = executor
        self._stopping = threading.Event()
        # Not a daemon: the interpreter must never exit while this thread is inside rclpy.
        self.thread = threading.Thread(target=self._spin, name=name)

    def start(self) -> 'SpinThread':
        """Start spinning; return self so that construction and start can be chained."""
        self.thread.start()
        return self

    def _spin(self) -> None:
        context = self.executor.context
        try:
            while not self._stopping.is_set() and context.ok():
                self.executor.spin_once(timeout_sec=WAKE_PERIOD_S)
        except ExternalShutdownException:
            pass  # the context was shut down: nothing is left to spin

    def stop(self, timeout_s: float = JOIN_TIMEOUT_S) -> bool:
        """
        Stop spinning, join the thread, then shut the executor down; True if the thread ended.

        Executor.shutdown() comes after the join, so the guard condition that wakes the wait is
        still there when wake() triggers it; a multi-threaded executor's shutdown then waits
        for the callbacks its workers still run.
        """
        self._stopping.set()
        self.executor.wake()
        if self.thread.ident is not None:
            self.thread.join(timeout=timeout_s)
        ended = not self.thread.is_alive()
        self.executor.shutdown(timeout_sec=timeout_s)
        return ended


def shutdown_spinning(spinners: Iterable[SpinThread], nodes: Iterable[Node],
                      context: Context | None = None, shutdown_context: bool = True,
                      timeout_s: float = JOIN_TIMEOUT_S) -> bool:
    """
    Stop the spin threads, then destroy the nodes, then shut the context down.

    Returns whether every spin thread ended. A thread still running after its deadline (a
    callback that does not return) is given the context's shutdown and one more deadline before
    the nodes are destroyed; with ``shutdown_context=False`` (a context shared with other users,
    as in a test session) the nodes are destroyed regardless.
    """
    stuck = [s for s in spinners if not s.stop(timeout_s)]
    if stuck and shutdown_context:
        rclpy.try_shutdown(context=context)
        for spinner in stuck:
            spinner.thread.join(timeout=timeout_s)
        stuck = [s for s in stuck if s.thread.is_alive()]
    for node in nodes:
        node.destroy_node()
    if shutdown_context:
        rclpy.try_shutdown(context=context)
    return not stuck
