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
What the robot reports and where it belongs: the inputs every writer turns into a record.

Plain frozen values with no rules of their own, at the bottom of the layers, so the ingest
pipeline, both writers and the ROS conversions share them without importing one another.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """What perception or an operator reported, and when (seconds since the epoch)."""

    text: str
    stamp: float
    source: str = 'unknown'
    tags: tuple[str, ...] = ()
    confidence: float = 1.0
    frame_id: str = ''


@dataclass(frozen=True)
class MissionContext:
    """The mission an observation belongs to, and the room if the robot knows it."""

    mission_id: str
    room: str | None = None
