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

"""The core imports and runs without ROS (e.g. on a GPU workstation that trains adapters)."""

import pkgutil
import subprocess
import sys

import shadowhound_memory

# Only the ROS glue, the demo that drives it, and the rosidl-generated interfaces may import rclpy
# or message types.
ROS_PACKAGES = ('shadowhound_memory.ros', 'shadowhound_memory.demo', 'shadowhound_memory.msg',
                'shadowhound_memory.srv')


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(shadowhound_memory.__path__, 'shadowhound_memory.'):
        if not info.name.startswith(ROS_PACKAGES) and not info.name.split('.')[-1].startswith('_'):
            names.append(info.name)
    return names


def test_there_are_core_modules_to_check():
    assert 'shadowhound_memory.domain.records' in core_modules()


def test_importing_every_core_module_pulls_in_no_rclpy():
    code = (
        'import importlib, sys\n'
        f'for name in {core_modules()!r}:\n'
        '    importlib.import_module(name)\n'
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('rclpy', 'std_msgs', 'nav_msgs', 'rosidl_runtime_py'))\n"
        'assert not leaked, leaked\n'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
