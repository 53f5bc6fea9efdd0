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
The agent examples exit 0 run after run, with busy processes beside them.

An example whose spin thread is still inside rclpy when the interpreter exits dies with SIGABRT
now and then, after all its work is done; one run proves little. bench/shutdown_repeat.py does
the long run (50 of each) and this test a handful, against the same real memory node process.
"""

import importlib.util
import os
import pathlib
import threading
import time

import pytest
import rclpy
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor
from shadowhound_memory.ros.spinning import shutdown_spinning, SpinThread

pytestmark = pytest.mark.ros

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNS = 5


def load_bench():
    spec = importlib.util.spec_from_file_location('shutdown_repeat',
                                                  ROOT / 'bench' / 'shutdown_repeat.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_examples_exit_0_run_after_run_beside_busy_processes(tmp_path):
    bench = load_bench()
    with bench.busy_loops(2):
        results = bench.run_examples(RUNS, tmp_path, f'shutdown{os.getpid()}')
    problems = [run.get('problem', '') for name in ('minimal_agent', 'example_agent')
                for run in results[name] if run['exit_code'] != 0]
    assert bench.summarize(results) == {
        name: {'runs': RUNS, 'exit_codes': {'0': RUNS}, 'all_zero': True}
        for name in ('minimal_agent', 'example_agent')}, problems
    assert results['memory_node_exit_code'] == 0


@pytest.mark.parametrize('executor_type', [SingleThreadedExecutor, MultiThreadedExecutor])
def test_a_spin_thread_stops_and_joins_before_its_nodes_are_destroyed(executor_type):
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('spin_stop', context=context)
    ticks = threading.Event()
    node.create_timer(0.01, ticks.set)
    spinner = SpinThread(executor_type(context=context), 'spin-stop')
    spinner.executor.add_node(node)
    spinner.start()
    assert ticks.wait(60.0), 'the spin thread never ran a callback'
    assert not spinner.thread.daemon, 'a daemon spin thread may be killed inside rclpy'
    assert shutdown_spinning([spinner], [node], context)
    assert not spinner.thread.is_alive() and not context.ok()


def test_a_spin_thread_whose_context_is_shut_down_elsewhere_ends_by_itself():
    # Ctrl-C shuts the context down under a running spin thread; stop() must still work.
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('spin_external', context=context)
    spinner = SpinThread(SingleThreadedExecutor(context=context), 'spin-external')
    spinner.executor.add_node(node)
    spinner.start()
    rclpy.try_shutdown(context=context)
    deadline = time.monotonic() + 60.0
    while spinner.thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not spinner.thread.is_alive(), 'the spin thread outlived its context by 60 s'
    assert spinner.stop()
    node.destroy_node()
