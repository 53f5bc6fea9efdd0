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
from pydantic import ValidationError
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.observation import Observation
from shadowhound_memory.domain.records import format_validation_error, MemoryRecord
from shadowhound_memory.memory.replay import observation_from_message
from shadowhound_memory.msg import MemoryPose, MemoryRecord as MemoryRecordMsg
from shadowhound_memory.msg import Observation as ObservationMsg
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.retrieval.retriever import RecallQuery
from shadowhound_memory.srv import Recall


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


def recall_query_from_request(request: Recall.Request, now: float, mission_id: str,
                              default_k: int, default_min_score: float) -> RecallQuery:
    """Return the query a Recall request asks; an empty mission means the current one."""
    time_from = time_to_seconds(request.time_from) or None
    time_to = time_to_seconds(request.time_to) or None
    if request.within_last_s < 0 or not math.isfinite(request.within_last_s):
        raise InvalidRequestError('within_last_s must be a finite number >= 0 '
                                  f'(got {request.within_last_s})')
    if request.within_last_s > 0:
        since = now - request.within_last_s
        time_from = since if time_from is None else max(time_from, since)
    try:
        return RecallQuery(
            question=request.question,
            mission_id=None if request.all_missions
            else (request.mission_id or mission_id),
            all_missions=request.all_missions,
            tags_any=list(request.tags_any), tags_all=list(request.tags_all),
            time_from=time_from, time_to=time_to,
            near=(request.x, request.y, request.radius) if request.use_place else None,
            k=request.k or default_k,
            min_score=request.min_score or default_min_score)
    except ValidationError as exc:
        raise InvalidRequestError(
            'invalid recall request: ' + '; '.join(format_validation_error(exc))) from exc


def describe_filters(query: RecallQuery) -> str:
    """Return the filters of a query in one line, for the recall trace."""
    parts = []
    for name in ('tags_any', 'tags_all'):
        if getattr(query, name):
            parts.append(f'{name}={getattr(query, name)}')
    if query.time_from is not None or query.time_to is not None:
        parts.append(f'time=[{query.time_from}, {query.time_to}]')
    if query.near is not None:
        parts.append(f'near={query.near}')
    parts.append(f'k={query.k} min_score={query.min_score}')
    return ' '.join(parts)
