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
Benchmark of the memory node through DDS: cold start, topic ingest, Recall round trips, RSS.

The node runs as its own process, started from the installed executable as `ros2 run` would.
Recall round trips are measured at 10k and 100k stored memories (prefilled into the store with
the vectors bench_core.py cached) next to the node's own recall time for the same calls, which
the response reports, so the DDS overhead shows directly. Writes bench/results/node.json.

    python bench/bench_node.py [--sizes 10000,100000] [--observations 3000] [--calls 200]
"""

import argparse
import importlib.util
import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from ament_index_python.packages import get_package_prefix, get_package_share_directory
import psutil
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.msg import MemoryRecord, Observation
from shadowhound_memory.ros.conversions import seconds_to_time
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread
from shadowhound_memory.srv import Recall

ROOT = pathlib.Path(__file__).resolve().parent.parent
NODE_EXTRA = [p for p in os.environ.get('BENCH_NODE_PARAMS', '').split() if p]
spec = importlib.util.spec_from_file_location('bench_core', ROOT / 'bench' / 'bench_core.py')
assert spec is not None and spec.loader is not None
bench_core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_core)


def start_node(store: str, log: pathlib.Path, *extra: str) -> subprocess.Popen:
    executable = pathlib.Path(get_package_prefix('shadowhound_memory'), 'lib',
                              'shadowhound_memory', 'memory_node')
    params = pathlib.Path(get_package_share_directory('shadowhound_memory'), 'config',
                          'memory.yaml')
    args = [str(executable), '--ros-args', '--params-file', str(params), '-r', '__ns:=/bench',
            '-p', f'store_path:={store}', '-p', 'mission_id:=m3']
    for value in extra:
        args += ['-p', value]
    return subprocess.Popen(args, stdout=log.open('ab'), stderr=subprocess.STDOUT)


def stop_node(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Probe:
    """A client node spun in a background thread."""

    def __init__(self) -> None:
        self.node = rclpy.create_node('bench_probe')
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.spinner = SpinThread(self.executor, 'bench-probe').start()
        self.recall = self.node.create_client(Recall, '/bench/recall')

    def call(self, request: Any, timeout: float = 60.0) -> Any:
        done = threading.Event()
        future = self.recall.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(timeout):
            raise RuntimeError('recall did not answer')
        return future.result()

    def close(self) -> None:
        # The caller shuts rclpy down afterwards.
        shutdown_spinning([self.spinner], [self.node], shutdown_context=False)


def wait_ready(probe: Probe, timeout: float = 120.0) -> float:
    """Return when the recall service answers; the time of that moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe.recall.wait_for_service(timeout_sec=0.05):
            response = probe.call(Recall.Request(question='ready?'))
            if response.success:
                return time.monotonic()
    raise RuntimeError('the node did not come up')


def bench_cold_start_and_ingest(probe: Probe, observations: int, rate: float,
                                log: pathlib.Path) -> dict:
    with tempfile.TemporaryDirectory(prefix='bench-node-') as store:
        started = time.monotonic()
        process = start_node(store, log, 'dedupe_enabled:=false', *NODE_EXTRA)
        try:
            cold_start = wait_ready(probe) - started
            events: list[float] = []
            probe.node.create_subscription(
                MemoryRecord, '/bench/memory/events', lambda _: events.append(time.monotonic()),
                QoSProfile(depth=10000, reliability=ReliabilityPolicy.RELIABLE))
            publisher = probe.node.create_publisher(
                Observation, '/bench/observations',
                QoSProfile(depth=10000, reliability=ReliabilityPolicy.RELIABLE))
            while publisher.get_subscription_count() == 0:
                time.sleep(0.01)
            items = bench_core.corpus(observations, seed=99)
            first = time.monotonic()
            for i, item in enumerate(items):
                # A steady stream at `rate` per second, as a perception stack publishes.
                while time.monotonic() - first < i / rate:
                    time.sleep(0.0005)
                msg = Observation(text=item['text'], source='camera')
                msg.header.stamp = seconds_to_time(time.time())
                publisher.publish(msg)
            published = time.monotonic()
            deadline = published + 120
            while len(events) < observations and time.monotonic() < deadline:
                time.sleep(0.1)
                if events and time.monotonic() - events[-1] > 5.0:
                    break
            stored = len(events)
            elapsed = (events[-1] if events else published) - first
            rss = psutil.Process(process.pid).memory_info().rss / 2**20
        finally:
            stop_node(process)
    return {'cold_start_s': cold_start, 'observations_published': observations,
            'publish_rate_target_per_s': rate,
            'observations_stored': stored, 'dropped': observations - stored,
            'ingest_per_s': stored / elapsed if elapsed > 0 else 0.0,
            'publish_per_s': observations / (published - first), 'rss_mb_after_ingest': rss}


def prefill(store: str, n: int) -> None:
    """Fill a store with n records and their cached vectors, then build its index."""
    import numpy as np
    from shadowhound_memory.domain.records import MemoryRecord as Record, Pose
    from shadowhound_memory.store.base import CollectionInfo
    from shadowhound_memory.store.edge import EdgeStore
    vectors = np.load(bench_core.vectors_for(n))[:n]
    items = bench_core.corpus(n)
    edge = EdgeStore(store, optimize_threshold=10**9)
    edge.open_collection(CollectionInfo('sentence-transformers/all-MiniLM-L6-v2', 384, 1))
    for start in range(0, n, 1000):
        chunk = items[start:start + 1000]
        edge.upsert([Record(event='object_seen', text=i['text'], pose=Pose(x=i['x'], y=i['y']),
                            mission_id=i['mission_id'], timestamp=i['timestamp'])
                     for i in chunk], vectors[start:start + 1000].tolist())
    edge.optimize()
    edge.close()


def bench_recall(probe: Probe, n: int, calls: int, log: pathlib.Path) -> dict:
    questions = bench_core.questions(calls + 10)
    with tempfile.TemporaryDirectory(prefix='bench-node-recall-') as store:
        prefill(store, n)
        process = start_node(store, log)
        try:
            wait_ready(probe)
            rtt, inside = [], []
            for i, question in enumerate(questions):
                started = time.perf_counter()
                response = probe.call(Recall.Request(question=question, k=10))
                elapsed = (time.perf_counter() - started) * 1000
                if not response.success or not response.memories:
                    raise RuntimeError(f'recall failed: {response.message}')
                if i >= 10:
                    rtt.append(elapsed)
                    inside.append(response.latency_ms)
            rss = psutil.Process(process.pid).memory_info().rss / 2**20
        finally:
            stop_node(process)
    return {'n': n, 'recall_rtt_p50_ms': statistics.median(rtt),
            'recall_rtt_p95_ms': bench_core.percentile(rtt, 0.95),
            'node_recall_p50_ms': statistics.median(inside),
            'dds_overhead_p50_ms': statistics.median(r - i for r, i in zip(rtt, inside)),
            'rss_mb': rss}


def main() -> int:
    """Run the node benchmarks and write node.json."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='10000,100000')
    parser.add_argument('--observations', type=int, default=3000)
    parser.add_argument('--calls', type=int, default=200)
    parser.add_argument('--rate', type=float, default=300.0,
                        help='observations published per second')
    parser.add_argument('--out', default=str(ROOT / 'bench' / 'results' / 'node.json'))
    args = parser.parse_args()
    rclpy.init()
    probe = Probe()
    log = pathlib.Path(tempfile.mkdtemp(prefix='bench-node-log-')) / 'node.log'
    try:
        ingest = bench_cold_start_and_ingest(probe, args.observations, args.rate, log)
        print(f"cold start {ingest['cold_start_s']:.1f} s; ingest "
              f"{ingest['ingest_per_s']:.0f} obs/s ({ingest['observations_stored']}/"
              f"{ingest['observations_published']} stored, {ingest['dropped']} dropped); "
              f"RSS {ingest['rss_mb_after_ingest']:.0f} MB", flush=True)
        recalls = []
        for n in (int(s) for s in args.sizes.split(',') if s):
            row = bench_recall(probe, n, args.calls, log)
            recalls.append(row)
            print(f"n={n:>6}: recall round trip p50 {row['recall_rtt_p50_ms']:.2f} ms, p95 "
                  f"{row['recall_rtt_p95_ms']:.2f} ms; inside the node p50 "
                  f"{row['node_recall_p50_ms']:.2f} ms; DDS overhead p50 "
                  f"{row['dds_overhead_p50_ms']:.2f} ms; RSS {row['rss_mb']:.0f} MB", flush=True)
    except Exception:
        print(f'node log: {log}', file=sys.stderr)
        raise
    finally:
        probe.close()
        rclpy.try_shutdown()
    result = {'benchmark': 'node', 'machine': {'cpus': os.cpu_count()}, **ingest,
              'dropped': ingest['dropped'], 'recall': recalls,
              'targets': {'cold_start_under_10_s': ingest['cold_start_s'] < 10.0,
                          'ingest_at_least_200_per_s': ingest['ingest_per_s'] >= 200.0,
                          'rtt_within_2_ms_of_node_recall': all(
                              r['dds_overhead_p50_ms'] <= 2.0 for r in recalls)}}
    if recalls:
        result.update(recall_rtt_p50_ms=recalls[-1]['recall_rtt_p50_ms'],
                      recall_rtt_p95_ms=recalls[-1]['recall_rtt_p95_ms'],
                      rss_mb=recalls[-1]['rss_mb'])
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + '\n')
    print(f"targets: {json.dumps(result['targets'])}\nwrote {args.out}")
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
