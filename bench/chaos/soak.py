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
A bounded soak: odometry at 30 Hz, observations at 10 Hz and recalls at 20 Hz, for N minutes.

Each load runs in a process of its own (as on a robot: localization, perception and the agent
are separate), against one node process. The harness samples the node's RSS and its
/diagnostics (ingest queue depth, drops, store size) every few seconds; the recall process
records every round trip. Reported per minute: recall round-trip p50/p95, RSS, the deepest
queue, drops, so unbounded growth shows as a trend rather than hiding in an average.

    python bench/chaos/soak.py ROLE NAMESPACE SECONDS OUT   (a load process: odom,
                                                             observations or recall)
"""

import json
import math
import os
import pathlib
import random
import subprocess
import sys
import threading
import time
from typing import Any

from common import NodeProcess, percentile, Probe
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.msg import Observation
from shadowhound_memory.ros.conversions import seconds_to_time
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread
from shadowhound_memory.srv import Recall

HERE = pathlib.Path(__file__).resolve().parent
MISSION = 'soak'
RATES_HZ = {'odom': 30.0, 'observations': 10.0, 'recall': 20.0}
THINGS = ('red ball', 'blue mug', 'charger', 'backpack', 'umbrella', 'laptop', 'plant', 'keys',
          'box of screws', 'fire extinguisher', 'green chair', 'silver wallet')
PLACES = ('kitchen', 'hallway', 'office', 'garage', 'living room', 'bedroom', 'lab')
QUESTIONS = tuple(f'Where did we see the {t}?' for t in THINGS) + tuple(
    f'What was in the {p}?' for p in PLACES)
# Below the depth (10) of a service's request queue: more would be dropped inside DDS, unseen,
# when the node falls behind; a call due while 8 wait is counted as skipped instead.
MAX_IN_FLIGHT = 8
SAMPLE_PERIOD_S = 5.0
# How long the ingest queue may take to drain after the loads stop: generous for a busy machine.
DRAIN_S = 60.0


def _paced(rate_hz: float, seconds: float, tick: Any) -> int:
    """Call tick(i) at a steady rate (no drift) for `seconds`; return how many ticks ran."""
    start = time.monotonic()
    count = 0
    while True:
        due = start + count / rate_hz
        if due - start >= seconds:
            return count
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        tick(count)
        count += 1


def _wait_matched(publisher: Any) -> None:
    deadline = time.monotonic() + 60.0
    while publisher.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)


def load_process(role: str, namespace: str, seconds: float, out: pathlib.Path) -> None:
    """Run one load (a process of its own) and write what it did to `out` as JSON."""
    rclpy.init()
    node = rclpy.create_node(f'soak_{role}')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = SpinThread(executor, f'soak-{role}').start()
    rng = random.Random(role)
    result: dict[str, Any] = {'role': role}
    qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    if role == 'odom':
        publisher = node.create_publisher(Odometry, f'/{namespace}/odom', qos)

        def odom(i: int) -> None:
            # A slow circle of 6 m radius: 0.5 m/s, so nearby sightings merge now and then.
            angle = i / RATES_HZ['odom'] * 0.5 / 6.0
            msg = Odometry()
            msg.header.stamp = seconds_to_time(time.time())
            msg.header.frame_id = 'map'
            msg.pose.pose.position.x = 6.0 * math.cos(angle)
            msg.pose.pose.position.y = 6.0 * math.sin(angle)
            msg.pose.pose.orientation.z = math.sin((angle + math.pi / 2) / 2)
            msg.pose.pose.orientation.w = math.cos((angle + math.pi / 2) / 2)
            publisher.publish(msg)

        _wait_matched(publisher)
        result['sent'] = _paced(RATES_HZ['odom'], seconds, odom)
    elif role == 'observations':
        obs_publisher = node.create_publisher(Observation, f'/{namespace}/observations', qos)

        def observe(i: int) -> None:
            msg = Observation(text=f'Camera sees the {rng.choice(THINGS)} in the '
                                   f'{rng.choice(PLACES)} (sighting {i}).', source='camera')
            msg.header.stamp = seconds_to_time(time.time())
            obs_publisher.publish(msg)

        _wait_matched(obs_publisher)
        result['sent'] = _paced(RATES_HZ['observations'], seconds, observe)
    else:
        client = node.create_client(Recall, f'/{namespace}/recall')
        client.wait_for_service(timeout_sec=60.0)
        calls: list[list[float]] = []
        lock = threading.Lock()
        in_flight = [0]
        skipped = [0]
        start = time.monotonic()

        def answered(sent: float, future: Any) -> None:
            response = future.result()
            with lock:
                in_flight[0] -= 1
                calls.append([sent - start, (time.monotonic() - sent) * 1000.0,
                              response.latency_ms, 1.0 if response.success else 0.0])

        def ask(i: int) -> None:
            with lock:
                if in_flight[0] >= MAX_IN_FLIGHT:
                    skipped[0] += 1
                    return
                in_flight[0] += 1
            sent = time.monotonic()
            future = client.call_async(Recall.Request(question=rng.choice(QUESTIONS), k=5,
                                                      mission_id=MISSION))
            future.add_done_callback(lambda f, sent=sent: answered(sent, f))

        result['sent'] = _paced(RATES_HZ['recall'], seconds, ask)
        deadline = time.monotonic() + 30.0
        while in_flight[0] > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        with lock:
            result.update(calls=calls, skipped_backlog=skipped[0], unanswered=in_flight[0])
    out.write_text(json.dumps(result))
    shutdown_spinning([spinner], [node])


class DiagnosticsWatch:
    """Keeps the latest diagnostic values of one memory node (told apart by its store path)."""

    def __init__(self, probe: Probe, hardware_id: str) -> None:
        self.latest: dict[str, str] = {}
        self.hardware_id = hardware_id
        probe.node.create_subscription(DiagnosticArray, '/diagnostics', self._on, 10)

    def _on(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.hardware_id == self.hardware_id:
                self.latest = {kv.key: kv.value for kv in status.values}

    def number(self, key: str) -> float:
        """Return the latest value of a key as a float; NaN when it is missing."""
        try:
            return float(self.latest.get(key, 'nan'))
        except ValueError:
            return math.nan


def run_soak(probe: Probe, workdir: pathlib.Path, minutes: float,
             node_params: dict[str, Any] | None = None, log: Any = print) -> dict[str, Any]:
    """Run the soak for `minutes` against a fresh node; return per-minute figures."""
    namespace = 'chaos_soak'
    store = workdir / 'soak-store'
    node = NodeProcess(namespace, workdir / 'soak-node.log',
                       {'store_path': store, 'mission_id': MISSION, **(node_params or {})})
    seconds = minutes * 60.0
    node.start()
    probe.wait_ready(Recall, f'/{namespace}/recall',
                     Recall.Request(question='ready?', mission_id=MISSION), node)
    watch = DiagnosticsWatch(probe, str(store))
    here = str(HERE)
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(
        p for p in (here, os.environ.get('PYTHONPATH', '')) if p)}
    loads = {role: subprocess.Popen(
        [sys.executable, str(HERE / 'soak.py'), role, namespace, str(seconds),
         str(workdir / f'soak-{role}.json')], env=env) for role in RATES_HZ}
    samples: list[dict[str, float]] = []
    load_before = os.getloadavg()[0]
    start = time.monotonic()
    try:
        while any(p.poll() is None for p in loads.values()):
            if not node.check_alive():
                raise RuntimeError(f'the node died during the soak; see {node.log}')
            samples.append({'t': time.monotonic() - start, 'rss_mb': node.rss_mb(),
                            'queue_depth': watch.number('ingest_queue_depth'),
                            'dropped': watch.number('ingest_dropped'),
                            'written': watch.number('ingest_written'),
                            'received': watch.number('ingest_received'),
                            'store_size': watch.number('store_size'),
                            'load_avg': os.getloadavg()[0]})
            last = samples[-1]
            if int(last['t']) // 60 != int(last['t'] - SAMPLE_PERIOD_S) // 60:
                log(f'  soak {last["t"] / 60:.1f}/{minutes:g} min: RSS {last["rss_mb"]:.0f} MB, '
                    f'store {last["store_size"]:.0f}')
            time.sleep(SAMPLE_PERIOD_S)
        # Let the ingest queue drain (as the node reports it), then read the final counters.
        drained_by = time.monotonic() + DRAIN_S
        while time.monotonic() < drained_by and not (
                watch.number('ingest_queue_depth') == 0
                and watch.number('ingest_written') + watch.number('ingest_dropped')
                + watch.number('ingest_failed') >= watch.number('ingest_received')):
            time.sleep(0.1)
        final = {key: watch.number(f'ingest_{key}')
                 for key in ('received', 'written', 'dropped', 'failed', 'queue_depth')}
        final['store_size'] = watch.number('store_size')
        rss_end = node.rss_mb()
        load_after = os.getloadavg()[0]
    finally:
        for process in loads.values():
            if process.poll() is None:
                process.kill()
        exit_code = node.stop()
    results = {role: json.loads((workdir / f'soak-{role}.json').read_text())
               for role in RATES_HZ}
    summary = summarize(minutes, samples, results, final, rss_end, exit_code,
                        node.unexpected_exits)
    summary['machine_load_avg_1min'] = [round(load_before, 2), round(load_after, 2)]
    summary['cpus'] = os.cpu_count()
    return summary


def summarize(minutes: float, samples: list[dict[str, float]], results: dict[str, Any],
              final: dict[str, float], rss_end: float, exit_code: int,
              crashes: int) -> dict[str, Any]:
    """Turn the raw samples and calls into per-minute figures."""
    calls = results['recall']['calls']
    per_minute = []
    for minute in range(max(1, math.ceil(minutes))):
        in_minute = [c for c in calls if minute * 60 <= c[0] < (minute + 1) * 60]
        ok = [c[1] for c in in_minute if c[3]]
        inside = [c[2] for c in in_minute if c[3]]
        minute_samples = [s for s in samples if minute * 60 <= s['t'] < (minute + 1) * 60]
        depths = [s['queue_depth'] for s in minute_samples if not math.isnan(s['queue_depth'])]
        per_minute.append({
            'minute': minute + 1, 'recalls': len(in_minute),
            'recall_failures': len(in_minute) - len(ok),
            'recall_p50_ms': round(percentile(ok, 0.5), 1),
            'recall_p95_ms': round(percentile(ok, 0.95), 1),
            'node_recall_p50_ms': round(percentile(inside, 0.5), 1),
            'rss_mb': round(max((s['rss_mb'] for s in minute_samples), default=0.0), 1),
            'queue_depth_max': max(depths, default=0.0),
            # Other tenants of the machine show here: the node shares its cores with them.
            'machine_load_avg': round(max((s['load_avg'] for s in minute_samples),
                                          default=0.0), 1),
            'store_size': max((s['store_size'] for s in minute_samples
                               if not math.isnan(s['store_size'])), default=0.0)})
    first, last = per_minute[0], per_minute[-1]
    return {
        'soak_minutes': minutes, 'rates_hz': RATES_HZ,
        'odometry_sent': results['odom']['sent'],
        'observations_sent': results['observations']['sent'],
        'observations_received': final['received'], 'observations_written': final['written'],
        'observations_failed': final['failed'], 'drops': final['dropped'],
        'queue_depth_max': max(m['queue_depth_max'] for m in per_minute),
        'queue_depth_end': final['queue_depth'], 'store_size_end': final['store_size'],
        'recalls_sent': results['recall']['sent'],
        'recalls_answered': len(calls),
        'recall_failures': sum(1 for c in calls if not c[3]),
        'recalls_skipped_backlog': results['recall']['skipped_backlog'],
        'recalls_unanswered': results['recall']['unanswered'],
        'recall_p95_ms_first_minute': first['recall_p95_ms'],
        'recall_p95_ms_last_minute': last['recall_p95_ms'],
        'rss_mb_start': round(samples[0]['rss_mb'], 1) if samples else 0.0,
        'rss_mb_end': round(rss_end, 1),
        'per_minute': per_minute, 'exit_code_after_sigint': exit_code, 'node_crashes': crashes,
    }


if __name__ == '__main__':
    load_process(sys.argv[1], sys.argv[2], float(sys.argv[3]), pathlib.Path(sys.argv[4]))
