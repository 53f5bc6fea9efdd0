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
    ros2 launch shadowhound_memory memory.launch.py vllm_url:=http://127.0.0.1:8000 writer:=llm

memory_backend, adapter_mode, writer, pose_input, recall_planner and vllm_url override the
parameters file only when given: left empty, the file's values hold (the node takes
MEMORY_BACKEND and ADAPTER_MODE from the environment for what the file leaves out), so a
`ros2 param dump` file reloads as saved.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

# Launch argument -> node parameter, passed after the parameters file only when not empty.
OVERRIDES = {'memory_backend': 'memory_backend', 'adapter_mode': 'adapter_mode',
             'writer': 'writer', 'pose_input': 'pose_input', 'recall_planner': 'recall_planner',
             'vllm_url': 'llm_url'}


def _memory_node(context: LaunchContext) -> list[Node]:
    overrides = {parameter: LaunchConfiguration(argument).perform(context)
                 for argument, parameter in OVERRIDES.items()}
    # Default output, no emulated terminal: redirected logs stay free of colour codes.
    return [Node(
        package='shadowhound_memory', executable='memory_node', name='memory_node',
        namespace=LaunchConfiguration('namespace'), output='screen',
        parameters=[LaunchConfiguration('params_file'),
                    {name: value for name, value in overrides.items() if value}],
        remappings=[('pose', LaunchConfiguration('pose_topic')),
                    ('odom', LaunchConfiguration('odom_topic'))],
        arguments=['--ros-args', '--log-level', LaunchConfiguration('log_level')])]


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
            default_value='',
            description='local (local embeddings and vLLM), openai (cloud API, no adapters) or '
                        'skip (memory disabled). Default: the parameters file, else '
                        '$MEMORY_BACKEND, else local.'),
        DeclareLaunchArgument(
            'adapter_mode',
            default_value='',
            description='Tasks that use their LoRA adapter: none, writing, recall or all. '
                        'Default: the parameters file, else $ADAPTER_MODE, else none.'),
        DeclareLaunchArgument(
            'namespace', default_value='',
            description='Namespace of the node, its topics and services (e.g. robot1).'),
        DeclareLaunchArgument(
            'log_level', default_value='info',
            description='Logging level: debug, info, warn, error or fatal.'),
        DeclareLaunchArgument(
            'vllm_url', default_value='',
            description='Base URL of the OpenAI-compatible generation server (parameter '
                        'llm_url), e.g. http://127.0.0.1:8000. Default: the parameters file '
                        '(whose empty llm_url means no LLM).'),
        DeclareLaunchArgument(
            'writer', default_value='',
            description='deterministic, or llm: records written through the writing route. '
                        'Default: the parameters file.'),
        DeclareLaunchArgument(
            'pose_input', default_value='',
            description='odometry (nav_msgs/Odometry on odom), pose (PoseStamped on pose) or '
                        'pose_with_covariance (PoseWithCovarianceStamped on pose: AMCL, '
                        'slam_toolbox). Default: the parameters file.'),
        DeclareLaunchArgument(
            'pose_topic', default_value='pose',
            description='Where the pose input reads from: /amcl_pose for AMCL, /pose for '
                        'slam_toolbox (pose_input pose or pose_with_covariance).'),
        DeclareLaunchArgument(
            'odom_topic', default_value='odom',
            description='Where odometry is read from (pose_input odometry).'),
        DeclareLaunchArgument(
            'recall_planner', default_value='',
            description='How a recall question becomes a query plan: none (the literal '
                        'question), rules (deterministic) or llm (the recall route; needs '
                        'vllm_url, falls back to rules). Empty: the parameters file decides.'),
        DeclareLaunchArgument(
            'start_vllm', default_value='false',
            description='true also starts a co-located vLLM server (vllm_model, vllm_args) on '
                        'vllm_port; set vllm_url to http://127.0.0.1:<vllm_port> to use it.'),
        DeclareLaunchArgument(
            'vllm_python', default_value='python3',
            description='Python of the venv vLLM is installed in (its pins differ from ours).'),
        DeclareLaunchArgument(
            'vllm_port', default_value='8000', description='Port of the started vLLM.'),
        DeclareLaunchArgument(
            'vllm_model', default_value='',
            description='Model folder served by vLLM when start_vllm is true.'),
        DeclareLaunchArgument(
            'vllm_args', default_value='--enable-lora --max-lora-rank 16 --max-loras 4',
            description='Extra vllm serve flags, e.g. --lora-modules memory-writing=DIR '
                        'recall=DIR.'),
    ]
    # Through the shell, so that vllm_args splits into separate flags; `exec` makes vLLM the
    # process launch signals (a shell would die and leave vLLM running). It listens on loopback
    # only, beside the node. Runtime adapter loading is on; the node loads only from
    # llm_adapter_dir.
    vllm = ExecuteProcess(
        condition=IfCondition(LaunchConfiguration('start_vllm')),
        cmd=['exec', LaunchConfiguration('vllm_python'), '-m',
             'vllm.entrypoints.openai.api_server', '--model', LaunchConfiguration('vllm_model'),
             '--host', '127.0.0.1', '--port', LaunchConfiguration('vllm_port'),
             LaunchConfiguration('vllm_args')],
        additional_env={'VLLM_ALLOW_RUNTIME_LORA_UPDATING': 'True'},
        shell=True, output='screen', name='vllm',
        # vLLM needs more than the default 5 s to stop its engine processes on SIGINT.
        sigterm_timeout='30')
    return LaunchDescription(arguments + [
        vllm,
        OpaqueFunction(function=_memory_node),
    ])
