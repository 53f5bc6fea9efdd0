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
The answer given without an LLM: the retrieved memories, said plainly, with their ids cited.

It is what recall answers when synthesis is off or the LLM server is down, so it only restates
what the memories say (where and when), and says so when nothing relevant was found instead of
guessing.
"""

from collections.abc import Sequence
import math

from shadowhound_memory.store.base import ScoredRecord

NO_MEMORY_ANSWER = 'I have no memory that matches this question.'


def describe_age(seconds: float) -> str:
    """Say how long ago something was, in words a person reads at a glance."""
    if not math.isfinite(seconds) or seconds < 0:
        return 'just now'
    if seconds < 90:
        return f'{seconds:.0f} s ago'
    if seconds < 5400:
        return f'{seconds / 60:.0f} min ago'
    if seconds < 172800:
        return f'{seconds / 3600:.1f} h ago'
    return f'{seconds / 86400:.1f} days ago'


def retrieval_only_answer(hits: Sequence[ScoredRecord], now: float,
                          max_items: int = 3) -> tuple[str, list[str]]:
    """Return an answer listing the best memories with place and time, and the ids it cites."""
    if not hits:
        return NO_MEMORY_ANSWER, []
    parts = []
    cited = []
    for hit in hits[:max_items]:
        record = hit.record
        where = (f'at ({record.pose.x:.1f}, {record.pose.y:.1f})' if record.pose is not None
                 else 'at an unknown place')
        parts.append(f'"{record.text}" {where}, {describe_age(now - record.timestamp)} '
                     f'[{record.id}]')
        cited.append(record.id)
    return 'Closest memories: ' + '; '.join(parts) + '.', cited
