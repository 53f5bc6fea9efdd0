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
Record rclpy messages into a ROS 2 bag (sqlite3 or MCAP) with the rosbags writer.

rosbag2 has no PyPI wheel; rosbags writes the same format. Messages are serialized by rclpy
itself, so what is recorded is byte for byte what went over DDS.
"""

import pathlib
from typing import Any

from rclpy.serialization import serialize_message
from rosbags.interfaces import Connection
from rosbags.rosbag2 import StoragePlugin, Writer
from shadowhound_memory.memory.bags import typestore

STORAGES = {'sqlite3': StoragePlugin.SQLITE3, 'mcap': StoragePlugin.MCAP}


def type_name(msg: Any) -> str:
    """Return the ROS type name of an rclpy message, e.g. nav_msgs/msg/Odometry."""
    module = type(msg).__module__.split('.')
    return f'{module[0]}/{module[1]}/{type(msg).__name__}'


class BagRecorder:
    """Writes messages to a new bag folder; topics are added on their first message."""

    def __init__(self, path: str | pathlib.Path, storage: str = 'mcap') -> None:
        self.path = pathlib.Path(path)
        self._types = typestore()
        self._writer = Writer(self.path, version=9, storage_plugin=STORAGES[storage])
        self._writer.open()
        self._connections: dict[str, Connection] = {}
        self.count = 0

    def write(self, topic: str, msg: Any, log_time_s: float) -> None:
        """Record ``msg`` on ``topic`` as received at ``log_time_s`` (seconds)."""
        connection = self._connections.get(topic)
        if connection is None:
            connection = self._writer.add_connection(topic, type_name(msg),
                                                     typestore=self._types)
            self._connections[topic] = connection
        self._writer.write(connection, int(round(log_time_s * 1e9)), serialize_message(msg))
        self.count += 1

    def close(self) -> None:
        """Finish the bag (writes its metadata); safe to call twice."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None  # type: ignore[assignment]
