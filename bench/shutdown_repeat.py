#!/usr/bin/env python3
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
Run the agent examples again and again against one real memory node, with the CPUs kept busy.

An example that ends with SIGABRT after its work is done (a spin thread still inside rclpy when
the interpreter exits) does so only now and then, and more often when every core is busy. So
each example runs many times in a row, beside busy-looping processes, and every exit code is
kept:

- examples/minimal_agent.py runs its three tool calls and exits by itself;
- example_agent (the installed executable) is told a fact, asked about it, and stopped with
  SIGINT as Ctrl-C would, once it has answered.

    scripts/with-env.sh python bench/shutdown_repeat.py --runs 50 --busy 2

writes bench/results/shutdown.json. The test suite imports run_examples() for a short run.
"""

import argparse
from collections.abc import Callable, Iterator
import contextlib
import json
import os
import pathlib
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from ament_index_python.packages import get_package_prefix, get_package_share_directory
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from shadowhound_memory.ros.memory_client import MemoryClient
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread
from std_msgs.msg import String

ROOT = pathlib.Path(__file__).resolve().parents[1]
RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
# Deadlines are generous and stated: a cold node loads its embedding model first (once over
# 5 min, with the disk saturated by other jobs), and on a machine whose cores are all busy
# everything takes several times longer than on an idle one.
NODE_READY_S = 900.0
RUN_S = 180.0
SIGINT_EXIT_S = 60.0


def executable(name: str) -> str:
    """Return the path of one of the package's installed executables."""
    path = pathlib.Path(get_package_prefix('shadowhound_memory'), 'lib', 'shadowhound_memory',
                        name)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RuntimeError(f'{name} is not installed (run make setup)')
    return str(path)


@contextlib.contextmanager
def busy_loops(count: int, niceness: int = 0) -> Iterator[list[subprocess.Popen]]:
    """Keep `count` CPUs busy with Python loops that do nothing, as other jobs would."""
    loops = [subprocess.Popen([sys.executable, '-c', 'while True: pass'],
                              preexec_fn=(lambda: os.nice(niceness)) if niceness else None)
             for _ in range(count)]
    try:
        yield loops
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


class Probe:
    """A node of its own context that waits for the memory node and talks to the agent."""

    def __init__(self, namespace: str) -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node('shutdown_probe', namespace=namespace,
                                      context=self.context)
        self.memory = MemoryClient(self.node, timeout_s=60.0)
        self.answers: list[str] = []
        self._lock = threading.Lock()
        self.node.create_subscription(String, 'agent/answer', self._on_answer, RELIABLE)
        self.remember = self.node.create_publisher(String, 'agent/remember', RELIABLE)
        self.question = self.node.create_publisher(String, 'agent/question', RELIABLE)
        self.spinner = SpinThread(SingleThreadedExecutor(context=self.context),
                                  'shutdown-probe')
        self.spinner.executor.add_node(self.node)
        self.spinner.start()

    def _on_answer(self, msg: String) -> None:
        with self._lock:
            self.answers.append(msg.data)

    def answer_count(self) -> int:
        """Return how many answers the agent has published so far."""
        with self._lock:
            return len(self.answers)

    def close(self) -> None:
        """Stop spinning, destroy the node, release the context."""
        self.memory.destroy()
        shutdown_spinning([self.spinner], [self.node], self.context)


def wait_for(predicate: Callable[[], Any], what: str, timeout_s: float,
             alive: Callable[[], bool] = lambda: True) -> None:
    """Wait until predicate() holds; fail with what was awaited after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if not alive():
            raise RuntimeError(f'a process ended while waiting for {what}')
        if time.monotonic() > deadline:
            raise RuntimeError(f'no {what} within {timeout_s:.0f} s')
        time.sleep(0.05)


def ros_args(namespace: str) -> list[str]:
    """Return the arguments that put a process into the run's namespace."""
    return ['--ros-args', '-r', f'__ns:=/{namespace}']


def start_memory_node(namespace: str, workdir: pathlib.Path, log: Any) -> subprocess.Popen:
    """Start the installed memory node with the shipped parameters and a store of its own."""
    params = pathlib.Path(get_package_share_directory('shadowhound_memory'), 'config',
                          'memory.yaml')
    return subprocess.Popen(
        [executable('memory_node'), *ros_args(namespace), '--params-file', str(params),
         '-p', f'store_path:={workdir / "store"}', '-p', 'mission_id:=shutdown'],
        stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, timeout_s: float = SIGINT_EXIT_S) -> int:
    """Stop a process with SIGINT as Ctrl-C would; return its exit code (-9 if it hung)."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -9


MINIMAL_AGENT = ROOT / 'examples' / 'minimal_agent.py'


def run_minimal_agent(namespace: str, script: pathlib.Path = MINIMAL_AGENT) -> dict[str, Any]:
    """Run examples/minimal_agent.py once; return its exit code, time and stderr tail."""
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(script), *ros_args(namespace)],
                              capture_output=True, text=True, timeout=RUN_S)
    except subprocess.TimeoutExpired:
        return {'exit_code': None, 'seconds': RUN_S, 'problem': f'still running after {RUN_S} s'}
    run: dict[str, Any] = {'exit_code': done.returncode,
                           'seconds': round(time.monotonic() - started, 2)}
    if done.returncode != 0 or 'call_2: {"ok": true' not in done.stdout:
        run['problem'] = (done.stdout + done.stderr)[-600:]
    return run


def run_example_agent(namespace: str, probe: Probe, index: int) -> dict[str, Any]:
    """Start example_agent, have it remember and answer once, stop it with SIGINT."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        agent = subprocess.Popen(
            [executable('example_agent'), *ros_args(namespace), '-p', 'memory_timeout_s:=60.0'],
            stdout=out, stderr=subprocess.STDOUT)
        problem = ''
        try:
            before = probe.answer_count()
            wait_for(lambda: probe.remember.get_subscription_count()
                     and probe.question.get_subscription_count()
                     and probe.node.count_publishers(f'/{namespace}/agent/answer'),
                     'example agent on its topics', RUN_S, lambda: agent.poll() is None)
            probe.remember.publish(String(data=f'The red ball {index} is under the table.'))
            probe.question.publish(String(data=f'Where is the red ball {index}?'))
            wait_for(lambda: probe.answer_count() > before, 'answer on agent/answer', RUN_S,
                     lambda: agent.poll() is None)
        except RuntimeError as exc:
            problem = str(exc)
        code = stop(agent)
        out.seek(0)
        tail = out.read().decode(errors='replace')[-600:]
    run: dict[str, Any] = {'exit_code': code, 'seconds': round(time.monotonic() - started, 2)}
    if problem or code != 0:
        run['problem'] = f'{problem}\n{tail}'.strip()
    return run


def run_examples(runs: int, workdir: pathlib.Path, namespace: str,
                 log: Callable[[str], None] = print, script: pathlib.Path = MINIMAL_AGENT,
                 example_agent: bool = True) -> dict[str, Any]:
    """Run both examples `runs` times each against one memory node; return every run."""
    results: dict[str, Any] = {'minimal_agent': [], 'example_agent': []}
    with (workdir / 'memory_node.log').open('ab') as node_log:
        node = start_memory_node(namespace, workdir, node_log)
        probe = Probe(namespace)
        try:
            wait_for(probe.memory.is_ready, 'memory services', NODE_READY_S,
                     lambda: node.poll() is None)
            for i in range(runs):
                minimal = run_minimal_agent(namespace, script)
                results['minimal_agent'].append(minimal)
                agent = run_example_agent(namespace, probe, i) if example_agent else \
                    {'exit_code': 'not run', 'seconds': 0.0}
                results['example_agent'].append(agent)
                log(f'run {i + 1}/{runs}: minimal_agent exit {minimal["exit_code"]} '
                    f'({minimal["seconds"]} s), example_agent exit {agent["exit_code"]} '
                    f'({agent["seconds"]} s)')
                sys.stdout.flush()
        finally:
            probe.close()
            results['memory_node_exit_code'] = stop(node)
    return results


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Count the exit codes of each example."""
    summary: dict[str, Any] = {}
    for name in ('minimal_agent', 'example_agent'):
        codes: dict[str, int] = {}
        for run in results[name]:
            key = str(run['exit_code'])
            codes[key] = codes.get(key, 0) + 1
        summary[name] = {'runs': len(results[name]), 'exit_codes': codes,
                         'all_zero': codes == {'0': len(results[name])}}
    return summary


def main() -> int:
    """Run the repeat benchmark and write its results file; 1 if any run did not exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runs', type=int, default=50, help='runs of each example')
    parser.add_argument('--busy', type=int, default=2, help='busy-looping processes beside them')
    parser.add_argument('--busy-nice', type=int, default=0, help='niceness of the busy loops')
    parser.add_argument('--out', type=pathlib.Path,
                        default=ROOT / 'bench' / 'results' / 'shutdown.json')
    parser.add_argument('--minimal-agent', type=pathlib.Path, default=MINIMAL_AGENT,
                        help='the minimal agent script to run (an older copy, to compare)')
    parser.add_argument('--no-example-agent', action='store_true',
                        help='run only the minimal agent')
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='shutdown-repeat-') as tmp, \
            busy_loops(args.busy, args.busy_nice):
        results = run_examples(args.runs, pathlib.Path(tmp), f'shutdown{os.getpid()}',
                               script=args.minimal_agent,
                               example_agent=not args.no_example_agent)
    figures = {
        'what': 'examples/minimal_agent.py and example_agent run again and again against one '
                'memory node process, with busy-looping processes beside them',
        'minimal_agent_script': str(args.minimal_agent.resolve().relative_to(ROOT))
        if args.minimal_agent.resolve().is_relative_to(ROOT) else args.minimal_agent.name,
        'runs_per_example': args.runs, 'busy_loops': args.busy, 'busy_loop_nice': args.busy_nice,
        'cpus': os.cpu_count(), 'load_average_at_end': [round(v, 2) for v in os.getloadavg()],
        'python': platform.python_version(),
        'minutes': round((time.monotonic() - started) / 60.0, 1),
        'summary': summarize(results), **results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + '\n')
    print(json.dumps(figures['summary'], indent=2))
    print(f'wrote {args.out}')
    ok = all(s['all_zero'] for s in figures['summary'].values())
    return 0 if ok and results['memory_node_exit_code'] == 0 else 1


if __name__ == '__main__':
    raise SystemExit(main())
