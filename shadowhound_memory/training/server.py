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
Start and stop a local vLLM OpenAI-compatible server with LoRA enabled.

The evaluate command and the tests use it when no server is given; it runs in vLLM's own venv
(its pins differ from the package's), so the child gets an environment without the ROS
bootstrap marker and without the package venv's Python path.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time
from types import TracebackType

import httpx

from shadowhound_memory.errors import BackendUnavailableError

# Dropped from the child's environment: the ROS wheels' bootstrap marker (a child Python with
# it set skips the library-path setup it needs) and the package venv's import path.
DROPPED_ENV = ('_ROS_WHEELS_BOOTSTRAP_COMPLETE', 'PYTHONPATH', 'VIRTUAL_ENV')
STRUCTURED_OUTPUTS = {'backend': 'xgrammar', 'disable_any_whitespace': True}


def free_port() -> int:
    """Return a TCP port on localhost that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def serve_flags(model: str, lora_modules: dict[str, str] | None = None, max_lora_rank: int = 16,
                max_loras: int = 4, max_model_len: int = 2048) -> list[str]:
    """Return the vLLM serve flags for the base model with LoRA adapters enabled."""
    flags = ['--model', model, '--max-model-len', str(max_model_len), '--enable-lora',
             '--max-lora-rank', str(max_lora_rank), '--max-loras', str(max_loras),
             '--structured-outputs-config', json.dumps(STRUCTURED_OUTPUTS)]
    if lora_modules:
        flags += ['--lora-modules'] + [f'{name}={path}' for name, path in lora_modules.items()]
    return flags


class VllmServer:
    """A vLLM server process on localhost; a context manager that always stops it."""

    def __init__(self, python: str, model: str, lora_modules: dict[str, str] | None = None,
                 max_lora_rank: int = 16, startup_timeout_s: float = 300.0,
                 log_path: str | None = None) -> None:
        self.python = python
        self.model = model
        self.lora_modules = dict(lora_modules or {})
        self.max_lora_rank = max_lora_rank
        self.startup_timeout_s = startup_timeout_s
        self.port = free_port()
        self.base_url = f'http://127.0.0.1:{self.port}'
        self._tmp = tempfile.TemporaryDirectory(prefix='shm-vllm-')
        self.log_path = log_path or os.path.join(self._tmp.name, 'vllm.log')
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> 'VllmServer':
        """Start the server and wait until /v1/models answers; raise with the log tail if not."""
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env.update(VLLM_CPU_KVCACHE_SPACE='1', VLLM_ALLOW_RUNTIME_LORA_UPDATING='True',
                   VLLM_CACHE_ROOT=os.path.join(self._tmp.name, 'cache'), HF_HUB_OFFLINE='1',
                   TRANSFORMERS_OFFLINE='1')
        command = [self.python, '-m', 'vllm.entrypoints.openai.api_server', '--host',
                   '127.0.0.1', '--port', str(self.port)] + serve_flags(
            self.model, self.lora_modules, self.max_lora_rank)
        with open(self.log_path, 'wb') as log:
            # A session of its own, so stop() can end the server and its worker processes.
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                             env=env, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BackendUnavailableError(f'vLLM exited with {self._process.returncode}:\n'
                                              + self.log_tail())
            try:
                if httpx.get(self.base_url + '/v1/models', timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        self.stop()
        raise BackendUnavailableError(f'vLLM did not answer within {self.startup_timeout_s:.0f} '
                                      's:\n' + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        """Return the end of the server's log, for error messages."""
        path = pathlib.Path(self.log_path)
        return '\n'.join(path.read_text(errors='replace').splitlines()[-lines:]) \
            if path.exists() else ''

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after 20 s."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self._tmp.cleanup()

    def __enter__(self) -> 'VllmServer':
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
