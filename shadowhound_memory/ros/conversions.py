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
Conversions between the package's messages and the core types.

Kept apart from the node so that each conversion has one home and its rules (zero stamps mean
"now", confidence 0 means "not given", unknown poses) are written down once.
"""

import math

from builtin_interfaces.msg import Time
from shadowhound_memory.memory.replay import observation_from_message
from shadowhound_memory.memory.schema import MemoryRecord
from shadowhound_memory.memory.writer import Observation
from shadowhound_memory.msg import MemoryPose, MemoryRecord as MemoryRecordMsg
from shadowhound_memory.msg import Observation as ObservationMsg
from shadowhound_memory.pose.buffer import PoseEstimate


def time_to_seconds(stamp: Time) -> float:
    """Return a ROS time as float seconds; 0.0 for the zero time."""
    return stamp.sec + stamp.nanosec * 1e-9


def seconds_to_time(seconds: float) -> Time:
    """Return float seconds as a ROS time (clamped at zero)."""
    if not math.isfinite(seconds) or seconds <= 0.0:
        return Time()
    sec = int(seconds)
    nanosec = min(int(round((seconds - sec) * 1e9)), 999_999_999)
    return Time(sec=sec, nanosec=nanosec)


def observation_from_msg(msg: ObservationMsg, now: float) -> Observation:
    """Return the core observation; a zero stamp means now and confidence 0 means not given."""
    return observation_from_message(msg, now)


def pose_from_msg(msg: MemoryPose, default_frame: str) -> PoseEstimate:
    """Return a known pose estimate from a request's pose (the caller checks msg.known)."""
    return PoseEstimate(x=msg.x, y=msg.y, yaw=msg.yaw, known=True, reason='',
                        frame_id=msg.frame_id or default_frame, extrapolated=False)


def record_to_msg(record: MemoryRecord, score: float = 0.0) -> MemoryRecordMsg:
    """Return the message form of a stored record."""
    msg = MemoryRecordMsg(id=record.id, event=record.event, text=record.text,
                          tags=list(record.tags), mission_id=record.mission_id,
                          seen_count=record.seen_count, source=record.source,
                          confidence=float(record.confidence), score=float(score))
    if record.pose is not None:
        msg.pose = MemoryPose(x=record.pose.x, y=record.pose.y, yaw=record.pose.yaw,
                              frame_id=record.frame_id, known=True)
    else:
        msg.pose = MemoryPose(frame_id=record.frame_id, known=False)
    msg.timestamp = seconds_to_time(record.timestamp)
    msg.last_seen = seconds_to_time(record.last_seen or record.timestamp)
    return msg
