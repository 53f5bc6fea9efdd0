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
A co-located vLLM as a child process: the command line, start, readiness wait and stop.

Tests and benchmarks start the server from its own venv (.venv-vllm) exactly as a robot would run
it beside the node, so what they measure is what the robot gets. Its environment is cleaned of
the package's venv and path settings, which must not leak into vLLM's interpreter.
"""

from collections.abc import Mapping, Sequence
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request

# The flags the README recommends for CPU: structured output without whitespace runs, LoRA.
STRUCTURED_OUTPUTS = '{"backend":"xgrammar","disable_any_whitespace":true}'


def free_port() -> int:
    """Return a local TCP port that is free now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def vllm_command(python: str, model_dir: str, port: int, served_names: Sequence[str],
                 lora_modules: Mapping[str, str], max_model_len: int = 2048,
                 host: str = '127.0.0.1', enable_lora: bool | None = None) -> list[str]:
    """
    Return the command line of an OpenAI-compatible vLLM with LoRA and structured output.

    LoRA is enabled when adapters are given or ``enable_lora`` says so (for adapters that will
    only be loaded at run time).
    """
    command = [python, '-m', 'vllm.entrypoints.openai.api_server', '--model', model_dir,
               '--served-model-name', *served_names, '--host', host, '--port', str(port),
               '--max-model-len', str(max_model_len),
               '--structured-outputs-config', STRUCTURED_OUTPUTS]
    if lora_modules or enable_lora:
        command += ['--enable-lora', '--max-lora-rank', '16', '--max-loras', '4']
    if lora_modules:
        command += ['--lora-modules', *(f'{k}={v}' for k, v in lora_modules.items())]
    return command


def start_vllm(command: Sequence[str], workdir: pathlib.Path,
               timeout_s: float = 420.0) -> tuple[subprocess.Popen, str]:
    """Start vLLM in its own process group; return it and its URL once /v1/models answers."""
    port = command[list(command).index('--port') + 1]
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE='1', VLLM_ALLOW_RUNTIME_LORA_UPDATING='True',
               VLLM_CACHE_ROOT=str(workdir / 'vllm-cache'), HF_HUB_OFFLINE='1',
               VLLM_NO_USAGE_STATS='1', DO_NOT_TRACK='1')
    for name in ('PYTHONPATH', 'PYTHONSAFEPATH', 'VIRTUAL_ENV'):
        env.pop(name, None)
    log = workdir / 'vllm.log'
    with open(log, 'wb') as out:
        process = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT,
                                   env=env, cwd=workdir, start_new_session=True)
    url = f'http://127.0.0.1:{port}'
    try:
        wait_ready(url, process, log, timeout_s)
    except BaseException:
        stop_vllm(process)
        raise
    return process, url


def wait_ready(url: str, process: subprocess.Popen | None, log: pathlib.Path,
               timeout_s: float) -> None:
    """Wait until /v1/models answers; raise with the log's tail if the server dies or is slow."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f'vLLM exited with {process.returncode}:\n'
                               + log.read_text(errors='replace')[-3000:])
        try:
            with urllib.request.urlopen(url + '/v1/models', timeout=2.0) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1.0)
    raise RuntimeError(f'vLLM not ready after {timeout_s:.0f} s:\n'
                       + log.read_text(errors='replace')[-3000:])


def stop_vllm(process: subprocess.Popen | None) -> None:
    """Stop a vLLM this module started, with its whole process group."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
