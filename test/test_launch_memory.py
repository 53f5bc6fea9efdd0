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
launch_testing test of memory.launch.py: parameters file values hold, recall answers, clean exit.

launch_testing is not published on PyPI, so where it is absent (CI here) this module is skipped
with that reason; on a robot with apt ROS it runs under `colcon test` or `launch_test`, and in a
whole `make test` session. There the session's ROS fixture may already have initialized the
default context, so the probe uses a context of its own. A clean exit is exit code 0 on the
SIGINT that ends the launch: a node that had to be stopped with SIGTERM or SIGKILL fails.
"""

import os
import pathlib
import tempfile
import unittest

from ament_index_python.packages import get_package_share_directory
import pytest
import rclpy
import yaml

launch_testing = pytest.importorskip(
    'launch_testing', reason='launch_testing is not installed (it has no PyPI wheel); this test '
    'runs on machines with apt ROS 2 via colcon test or launch_test')

launch_actions = pytest.importorskip('launch_testing.actions')
launch_asserts = pytest.importorskip('launch_testing.asserts')

STORE = tempfile.mkdtemp(prefix='shm-launch-test-')
PARAMS_FILE_VALUES = {'memory_backend': 'local', 'adapter_mode': 'recall',
                      'writer': 'deterministic'}


def _params_file() -> str:
    share = get_package_share_directory('shadowhound_memory')
    params = yaml.safe_load(pathlib.Path(share, 'config', 'memory.yaml').read_text())
    ours = params['/**/memory_node']['ros__parameters']
    ours['store_path'] = STORE
    # Values the launch file once replaced with its own defaults: the file's must hold.
    ours.update(PARAMS_FILE_VALUES)
    path = os.path.join(STORE, 'params.yaml')
    pathlib.Path(path).write_text(yaml.safe_dump(params))
    return path


@pytest.mark.launch_test
def generate_test_description():
    from launch import LaunchDescription
    from launch.actions import IncludeLaunchDescription, SetLaunchConfiguration
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    share = get_package_share_directory('shadowhound_memory')
    memory = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(share, 'launch', 'memory.launch.py')),
        launch_arguments={'params_file': _params_file(), 'namespace': 'launch_test'}.items())
    # SIGINT, then SIGTERM after sigterm_timeout: generous, so a slow but clean exit on a loaded
    # machine is not mistaken for a hang, while a node that ignores SIGINT still fails.
    return LaunchDescription([SetLaunchConfiguration('sigterm_timeout', '30'), memory,
                              launch_actions.ReadyToTest()])


class TestMemoryLaunch(unittest.TestCase):

    def test_parameters_file_values_are_not_overridden(self):
        from rcl_interfaces.srv import GetParameters
        from rclpy.executors import SingleThreadedExecutor
        from shadowhound_memory.srv import Recall
        context = rclpy.Context()
        rclpy.init(context=context)
        node = rclpy.create_node('launch_test_params_probe', context=context)
        executor = SingleThreadedExecutor(context=context)
        try:
            # The parameter services exist from the node's first moment, but it answers only
            # once it spins, after its services (created last) are up.
            ready = node.create_client(Recall, '/launch_test/recall')
            self.assertTrue(ready.wait_for_service(timeout_sec=120.0))
            client = node.create_client(GetParameters, '/launch_test/memory_node/get_parameters')
            self.assertTrue(client.wait_for_service(timeout_sec=60.0))
            names = sorted(PARAMS_FILE_VALUES)
            future = client.call_async(GetParameters.Request(names=names))
            rclpy.spin_until_future_complete(node, future, executor=executor,
                                             timeout_sec=30.0)
            self.assertIsNotNone(future.result())
            got = {n: v.string_value for n, v in zip(names, future.result().values)}
            self.assertEqual(got, PARAMS_FILE_VALUES)
        finally:
            executor.shutdown()
            node.destroy_node()
            rclpy.shutdown(context=context)

    def test_recall_service_answers(self):
        from rclpy.executors import SingleThreadedExecutor
        from shadowhound_memory.srv import Recall
        context = rclpy.Context()
        rclpy.init(context=context)
        node = rclpy.create_node('launch_test_probe', context=context)
        executor = SingleThreadedExecutor(context=context)
        try:
            client = node.create_client(Recall, '/launch_test/recall')
            self.assertTrue(client.wait_for_service(timeout_sec=60.0))
            future = client.call_async(Recall.Request(question='anything here?'))
            rclpy.spin_until_future_complete(node, future, executor=executor,
                                             timeout_sec=30.0)
            self.assertIsNotNone(future.result())
            self.assertTrue(future.result().success, future.result().message)
        finally:
            executor.shutdown()
            node.destroy_node()
            rclpy.shutdown(context=context)


@launch_testing.post_shutdown_test()
class TestMemoryShutdown(unittest.TestCase):

    def test_node_exits_cleanly(self, proc_info):
        launch_asserts.assertExitCodes(proc_info, allowable_exit_codes=[launch_asserts.EXIT_OK])
