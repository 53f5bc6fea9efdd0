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
How a service handler of the node runs its work: answered, never crashed, and off the executor.

Every handler's work goes through answer(): a refusal of the package becomes success=false with
its reason, anything else an "internal error" answer and a log line, so no request can take the
node down. Work that waits on the LLM goes through offload(), which frees the executor thread
while it waits.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rclpy.executors import Executor
from rclpy.impl.rcutils_logger import RcutilsLogger
from rclpy.task import Future
from shadowhound_memory.domain.errors import MemoryPackageError


def answer(logger: RcutilsLogger, service: str, response: Any,
           work: Callable[[], None]) -> None:
    """Run a handler's work; every failure becomes success=false with a message."""
    try:
        work()
        response.success = True
    except MemoryPackageError as exc:
        response.success = False
        response.message = str(exc)
    except Exception as exc:  # noqa: B902 - the service boundary: answer, never crash
        logger.error(f'{service} failed: {exc!r}')
        response.success = False
        response.message = f'internal error in {service}: {exc}'


def offload(executor: Executor | None, workers: ThreadPoolExecutor,
            work: Callable[[], None]) -> Future:
    """
    Run ``work`` on a worker thread; return a future the calling coroutine awaits.

    The executor thread is free while the coroutine waits; the done callback makes the
    executor wake up and resume it when the work ends.
    """
    future: Future = Future(executor=executor)
    future.add_done_callback(lambda _: None)

    def run() -> None:
        try:
            work()
        except Exception as exc:  # noqa: B902 - handed to the awaiting handler
            future.set_exception(exc)
            return
        future.set_result(None)
    workers.submit(run)
    return future
