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
One way to run a node as a process: init, spin on a multi-threaded executor, shut down cleanly.

Shared by the package's executables so that each exits 0 on Ctrl-C or SIGTERM, 1 with a logged
reason when its configuration is refused, and always shuts down in the order that cannot abort
(see spinning.py): stop the executor and wait for its callbacks, destroy the node, shut rclpy
down.

Stopping must end within launch's 5 s grace: a Ctrl-C in a terminal signals the whole process
group, so the node gets SIGINT twice (from the terminal and from launch), and the second one must
not interrupt the cleanup the first started (a KeyboardInterrupt in a thread join used to skip
the store's close with a traceback). The interpreter's final garbage collection walked the whole
heap of the embedding model for seconds; the objects left at exit are frozen so it skips them.
"""

from collections.abc import Callable
import gc
import signal

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from shadowhound_memory.domain.errors import MemoryPackageError
from shadowhound_memory.ros.spinning import JOIN_TIMEOUT_S


def run_node(make_node: Callable[[], Node], name: str, num_threads: int,
             args: list[str] | None = None) -> int:
    """Build the node, spin it until shutdown, and return the process exit code."""
    rclpy.init(args=args)
    node = None
    executor = None
    try:
        node = make_node()
        executor = MultiThreadedExecutor(num_threads=num_threads)
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except MemoryPackageError as exc:
        rclpy.logging.get_logger(name).fatal(f'cannot start: {exc}')
        return 1
    finally:
        _ignore_further_stop_signals()
        # The spin ran in this thread, but callbacks may still run on the executor's workers:
        # shutdown() waits for them before the node they use is destroyed.
        if executor is not None:
            executor.shutdown(timeout_sec=JOIN_TIMEOUT_S)
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
        gc.freeze()
    return 0


def _ignore_further_stop_signals() -> None:
    # The first signal already stopped the executor; the cleanup is bounded (the ingest drain
    # has its deadline), and launch still has SIGKILL for a node that hangs.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)
