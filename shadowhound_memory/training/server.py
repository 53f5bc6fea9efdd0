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
A vLLM server for one evaluation run, as a context manager over the package's vLLM launcher.

The evaluate command starts one when asked; the command line, environment, readiness wait and
stop are shadowhound_memory.llm.local_server's, so the evaluation's server is the node's.
"""

import os
import pathlib
import subprocess
import tempfile
from types import TracebackType

from shadowhound_memory.domain.errors import BackendUnavailableError
from shadowhound_memory.llm.local_server import free_port, start_vllm, stop_vllm, vllm_command


class VllmServer:
    """A vLLM on localhost serving a base model (under base_name) and LoRA adapters."""

    def __init__(self, python: str, model: str, lora_modules: dict[str, str] | None = None,
                 base_name: str = 'base', startup_timeout_s: float = 420.0) -> None:
        self.base_name = base_name
        self.startup_timeout_s = startup_timeout_s
        self.command = vllm_command(python, model, free_port(), [base_name],
                                    dict(lora_modules or {}))
        self.base_url = ''
        self._tmp = tempfile.TemporaryDirectory(prefix='shm-vllm-')
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> 'VllmServer':
        """Start the server and wait for it; BackendUnavailableError says why it did not come."""
        try:
            self._process, self.base_url = start_vllm(
                self.command, pathlib.Path(self._tmp.name), self.startup_timeout_s)
        except RuntimeError as exc:
            self._tmp.cleanup()
            raise BackendUnavailableError(str(exc)) from exc
        return self

    def stop(self) -> None:
        """Stop the server with its worker processes and remove its cache."""
        stop_vllm(self._process)
        self._process = None
        self._tmp.cleanup()

    def __enter__(self) -> 'VllmServer':
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def base_name_of(model: str) -> str:
    """Return the served name of a base model folder: its folder name."""
    return os.path.basename(os.path.normpath(model))
