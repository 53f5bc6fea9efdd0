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
The pose input of the memory node: one subscription, of the type the pose_input parameter names.

Attaches to the caller's node (as tf2's TransformListener does) and feeds the node's pose buffer;
the rules (frames, jumps, covariance) are the core's, in shadowhound_memory.pose.
"""

import threading
from typing import Any

from geometry_msgs.msg import PoseStamped, PoseWithCovarianceStamped
from nav_msgs.msg import Odometry
from rclpy.callback_groups import CallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions
from shadowhound_memory.domain.errors import MemoryPackageError
from shadowhound_memory.pose.buffer import PoseBuffer
from shadowhound_memory.pose.inputs import frame_problem, sample_from_msg, topic_for

MESSAGE_TYPES: dict[str, Any] = {'odometry': Odometry, 'pose': PoseStamped,
                                 'pose_with_covariance': PoseWithCovarianceStamped}
# At 30 Hz odometry, 100 samples of history survive a 3 s stall of this process, so poses stay
# interpolated instead of unknown; a 1-10 Hz localizer never comes near it.
POSE_HISTORY = 100


class PoseInputSubscriber:
    """Subscribes to odometry or a localizer pose and adds each usable sample to the buffer."""

    def __init__(self, node: Node, buffer: PoseBuffer, kind: str, map_frame: str,
                 callback_group: CallbackGroup | None = None) -> None:
        self.kind = kind
        self.topic = topic_for(kind)
        self._node = node
        self._buffer = buffer
        self._map_frame = map_frame
        self._lock = threading.Lock()
        self.received = 0
        self.rejected = 0
        self.last_problem = ''
        self._frame_warned = False
        # Best effort matches reliable and best-effort writers alike, and volatile matches
        # AMCL's transient-local one; deployers may override through QoS overrides.
        qos = QoSProfile(depth=POSE_HISTORY, reliability=ReliabilityPolicy.BEST_EFFORT,
                         durability=DurabilityPolicy.VOLATILE)
        self.subscription = node.create_subscription(
            MESSAGE_TYPES[kind], self.topic, self._on_pose, qos, callback_group=callback_group,
            qos_overriding_options=QoSOverridingOptions.with_default_policies())

    def _on_pose(self, msg: Any) -> None:
        with self._lock:
            self.received += 1
        refused, problem = frame_problem(self.kind, msg.header.frame_id, self._map_frame)
        if refused:
            self._reject(problem)
            return
        if problem:
            # Accepted, but said where an operator looks, not only once in the log.
            with self._lock:
                self.last_problem = problem
            if not self._frame_warned:
                self._frame_warned = True
                self._node.get_logger().warning(problem)
        try:
            now = self._node.get_clock().now().nanoseconds * 1e-9
            self._buffer.add(sample_from_msg(self.kind, msg, now))
        except MemoryPackageError as exc:
            self._reject(f'{self.kind} ignored: {exc}')

    def _reject(self, problem: str) -> None:
        with self._lock:
            self.rejected += 1
            self.last_problem = problem
        self._node.get_logger().warning(problem, throttle_duration_sec=5.0)
