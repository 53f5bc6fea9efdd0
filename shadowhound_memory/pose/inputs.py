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
Where the robot pose comes from: odometry, or a localizer's map-frame pose.

On a nav2 robot the map-frame pose comes from AMCL (/amcl_pose) or slam_toolbox (/pose) as
geometry_msgs/PoseWithCovarianceStamped; other stacks publish geometry_msgs/PoseStamped; odometry
(nav_msgs/Odometry) drifts in its odom frame. The rules that decide which samples reach the pose
buffer live here, apart from the message types, so that they are tested without ROS.
"""

import math
from typing import Any, Literal

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.pose.buffer import PoseSample, std_from_covariance

PoseInput = Literal['odometry', 'pose', 'pose_with_covariance']
POSE_INPUTS: tuple[PoseInput, ...] = ('odometry', 'pose', 'pose_with_covariance')

# Relative names, so a namespace or a remap (pose:=/amcl_pose) places them.
TOPICS: dict[str, str] = {'odometry': 'odom', 'pose': 'pose', 'pose_with_covariance': 'pose'}


def stamp_seconds(stamp: Any) -> float:
    """Return a builtin_interfaces/Time (any object with sec and nanosec) as float seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def yaw_from_quaternion(x: float, y: float, z: float, w: float) -> float:
    """
    Return the heading (rotation about z) of an orientation quaternion, normalizing it first.

    Raises InvalidRequestError for a quaternion of zero or non-finite length: it names no
    orientation, and taking it as heading 0 would store a made-up pose. The normalization
    matters: the formula assumes unit length and gives a wrong heading otherwise (1.31 for a
    true 0.5 at length 3).
    """
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if not math.isfinite(norm) or norm < 1e-9:
        raise InvalidRequestError(f'orientation quaternion ({x}, {y}, {z}, {w}) has zero or '
                                  'non-finite length: it names no heading')
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def sample_from_msg(kind: str, msg: Any, now: float | None = None) -> PoseSample:
    """
    Return the planar pose (and its deviations, if given) of a pose message of ``kind``.

    A zero stamp means ``now`` when it is given, as for observations: `ros2 topic pub` without
    a stamp then gives poses. Reads fields only, so rclpy messages and the ones a bag reader
    decodes (rosbags) both work.
    """
    if kind == 'pose':
        pose, covariance = msg.pose, None
    else:
        pose, covariance = msg.pose.pose, msg.pose.covariance
    q = pose.orientation
    position_std, yaw_std = (0.0, 0.0) if covariance is None else \
        std_from_covariance(list(covariance))
    return PoseSample(stamp=stamp_seconds(msg.header.stamp) or now or 0.0, x=pose.position.x,
                      y=pose.position.y, yaw=yaw_from_quaternion(q.x, q.y, q.z, q.w),
                      position_std=position_std, yaw_std=yaw_std)


def topic_for(kind: str) -> str:
    """Return the relative topic a pose input is read from."""
    return TOPICS[kind]


def frame_problem(kind: str, frame_id: str, map_frame: str) -> tuple[bool, str]:
    """
    Check a pose's frame against ``map_frame``; return (refused, what is wrong or '').

    A localizer's pose claims to be in the map frame, so another frame (or none) is a wiring
    error and the sample is refused. Odometry is by nature in its own odom frame and has always
    stamped memories as the pose of a robot without a localizer, so it is accepted with the
    message (the node warns once), and refused never.
    """
    frame = frame_id.strip().lstrip('/')
    if frame == map_frame.strip().lstrip('/'):
        return False, ''
    shown = repr(frame) if frame else 'no frame'
    if kind == 'odometry':
        return False, (f'odometry in {shown} stamps memories as map_frame {map_frame!r}: on a '
                       f'robot without a localizer set map_frame to the odometry frame, '
                       f'otherwise use pose_input pose_with_covariance or pose')
    return True, (f'{kind} in {shown} refused: map_frame is {map_frame!r}; remap the input to '
                  f'a {map_frame!r}-frame pose or set map_frame to its frame')
