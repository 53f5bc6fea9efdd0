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
`make chaos`: the reliability harness, every phase against real node processes.

Hostile input (hypothesis), Qdrant server faults, LLM server faults (a real vLLM killed
and restarted, an adapter unloaded), a nearly full disk, SIGKILL at random points
while writes stream in, and a bounded soak. Prints each phase's figures and writes
bench/results/reliability.json; exits 1 if a write was lost or duplicated or a node crashed.

    python bench/chaos/run.py [--writes 10000] [--kills 10] [--soak-minutes 10]
                              [--hostile-examples 300] [--out bench/results/reliability.json]
"""

import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from typing import Any

from backend import run_backend_faults
from common import Probe, ROOT
from diskfull import run_disk_full
from durability import run_kills
from hostile import run_hostile
from llm_faults import run_llm_faults
from soak import run_soak


def run_all(workdir: pathlib.Path, writes: int, kills: int, soak_minutes: float,
            hostile_examples: int, backend_writes: int = 20,
            log: Any = print) -> dict[str, Any]:
    """Run every phase; return the results document."""
    phases: dict[str, Any] = {}
    timings: dict[str, float] = {}
    probe = Probe('chaos_probe')
    try:
        for name, phase in (
                ('hostile', lambda: run_hostile(probe, workdir, hostile_examples, log=log)),
                ('backend_faults', lambda: run_backend_faults(probe, workdir, backend_writes,
                                                              log=log)),
                ('llm_faults', lambda: run_llm_faults(probe, workdir, log=log)),
                ('disk_full', lambda: run_disk_full(workdir, log=log)),
                ('kills', lambda: run_kills(probe, workdir, writes, kills, log=log)),
                ('soak', lambda: run_soak(probe, workdir, soak_minutes, log=log))):
            log(f'{name} ...')
            started = time.monotonic()
            phases[name] = phase()
            timings[name] = round(time.monotonic() - started, 1)
            log(f'{name}: {json.dumps(_headline(phases[name]))} ({timings[name]} s)')
    finally:
        probe.close()
    durable = [phases['kills'], phases['backend_faults'], phases['llm_faults']]
    disk = phases['disk_full']
    soak = phases['soak']
    return {
        'benchmark': 'reliability',
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'commit': _commit(), 'machine': {'cpus': os.cpu_count()},
        'acked_writes': sum(p['acked_writes'] for p in durable) + disk.get('acked_writes', 0),
        'lost_writes': sum(p['lost_writes'] for p in durable)
        + disk.get('lost_or_damaged_writes', 0),
        'duplicate_writes': sum(p['duplicate_writes'] for p in durable),
        'damaged_writes': phases['kills']['damaged_records'],
        'kills': phases['kills']['kills'],
        'hostile_cases': phases['hostile']['hostile_cases'],
        'hostile_problems': phases['hostile']['problem_count'],
        'node_crashes': sum(p.get('node_crashes', 0) for p in phases.values()),
        'soak_minutes': soak['soak_minutes'],
        'recall_p95_ms_first_minute': soak['recall_p95_ms_first_minute'],
        'recall_p95_ms_last_minute': soak['recall_p95_ms_last_minute'],
        'rss_mb_start': soak['rss_mb_start'], 'rss_mb_end': soak['rss_mb_end'],
        'soak_drops': soak['drops'], 'soak_queue_depth_max': soak['queue_depth_max'],
        'phase_seconds': timings, 'phases': phases,
    }


def _headline(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if not isinstance(v, (dict, list))}


def _commit() -> str:
    result = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT,
                            capture_output=True, text=True)
    return result.stdout.strip() or 'unknown'


def passed(results: dict[str, Any]) -> bool:
    """Tell whether the run met the bar: nothing lost or duplicated, no node crashed."""
    return (results['lost_writes'] == 0 and results['duplicate_writes'] == 0
            and results['damaged_writes'] == 0 and results['node_crashes'] == 0
            and results['hostile_problems'] == 0)


def main() -> int:
    """Run the harness and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--writes', type=int, default=10000)
    parser.add_argument('--kills', type=int, default=10)
    parser.add_argument('--soak-minutes', type=float, default=10.0)
    parser.add_argument('--hostile-examples', type=int, default=300,
                        help='hypothesis cases per target (7 targets)')
    parser.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'reliability.json'))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='chaos-') as folder:
        results = run_all(pathlib.Path(folder), args.writes, args.kills, args.soak_minutes,
                          args.hostile_examples, log=lambda line: print(line, flush=True))
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + '\n')
    print(json.dumps(_headline(results), indent=2))
    print(f'wrote {out}')
    return 0 if passed(results) else 1


if __name__ == '__main__':
    sys.exit(main())
