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
Launch the memory node, and optionally a co-located vLLM server for memory writing and recall.

    ros2 launch shadowhound_memory memory.launch.py
    ros2 launch shadowhound_memory memory.launch.py memory_backend:=skip namespace:=robot1
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import EnvironmentVariable, LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description() -> LaunchDescription:
    """Describe the memory node with its parameters file and the optional vLLM server."""
    default_params = os.path.join(get_package_share_directory('shadowhound_memory'), 'config',
                                  'memory.yaml')
    arguments = [
        DeclareLaunchArgument(
            'params_file', default_value=default_params,
            description='YAML file with memory_node parameters (keyed by node name).'),
        DeclareLaunchArgument(
            'memory_backend',
            default_value=EnvironmentVariable('MEMORY_BACKEND', default_value='local'),
            description='local (local embeddings and vLLM), openai (cloud API, no adapters) or '
                        'skip (memory disabled). Default: $MEMORY_BACKEND, else local.'),
        DeclareLaunchArgument(
            'adapter_mode',
            default_value=EnvironmentVariable('ADAPTER_MODE', default_value='none'),
            description='Tasks that use their LoRA adapter: none, writing, recall or all. '
                        'Default: $ADAPTER_MODE, else none.'),
        DeclareLaunchArgument(
            'namespace', default_value='',
            description='Namespace of the node, its topics and services (e.g. robot1).'),
        DeclareLaunchArgument(
            'log_level', default_value='info',
            description='Logging level: debug, info, warn, error or fatal.'),
        DeclareLaunchArgument(
            'vllm_url', default_value='http://127.0.0.1:8000',
            description='Base URL of the OpenAI-compatible vLLM server used for generation.'),
        DeclareLaunchArgument(
            'start_vllm', default_value='false',
            description='true also starts a co-located vLLM server (vllm_model, vllm_args) with '
                        'the LoRA adapters configured in vllm_args.'),
        DeclareLaunchArgument(
            'vllm_model', default_value='',
            description='Model folder served by vLLM when start_vllm is true.'),
        DeclareLaunchArgument(
            'vllm_args', default_value='--enable-lora --max-lora-rank 16 --max-loras 4',
            description='Extra vllm serve flags, e.g. --lora-modules memory-writing=DIR.'),
    ]
    # Through the shell, so that vllm_args splits into separate flags; vLLM listens on loopback
    # only, beside the node.
    vllm = ExecuteProcess(
        condition=IfCondition(LaunchConfiguration('start_vllm')),
        cmd=['python3', '-m', 'vllm.entrypoints.openai.api_server',
             '--model', LaunchConfiguration('vllm_model'), '--host', '127.0.0.1',
             '--port', '8000', LaunchConfiguration('vllm_args')],
        shell=True, output='screen', name='vllm')
    node = Node(
        package='shadowhound_memory', executable='memory_node', name='memory_node',
        namespace=LaunchConfiguration('namespace'), output='screen', emulate_tty=True,
        parameters=[LaunchConfiguration('params_file'), {
            'memory_backend': LaunchConfiguration('memory_backend'),
            'adapter_mode': LaunchConfiguration('adapter_mode'),
        }],
        arguments=['--ros-args', '--log-level', LaunchConfiguration('log_level')])
    return LaunchDescription(arguments + [
        SetEnvironmentVariable('SHADOWHOUND_VLLM_URL', LaunchConfiguration('vllm_url')),
        vllm,
        node,
    ])
