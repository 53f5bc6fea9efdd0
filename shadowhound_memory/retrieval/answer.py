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

from shadowhound_memory.retrieval.planning import QueryPlan
from shadowhound_memory.retrieval.tracks import Sighting, Track
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


def _place(sighting: Sighting) -> str:
    where = (f'at ({sighting.x:.1f}, {sighting.y:.1f})' if sighting.x is not None and
             sighting.y is not None else 'at an unknown place')
    return where + (f' in the {sighting.rooms[0].replace("_", " ")}' if sighting.rooms else '')


def _label(tag: str) -> str:
    kind, _, value = tag.partition(':')
    name = value.replace('_', ' ')
    return name.title() if kind == 'person' and value != 'unknown' else f'the {name}'


def planned_answer(plan: QueryPlan, tracks: Sequence[Track], hits: Sequence[ScoredRecord],
                   now: float) -> tuple[str, list[str]]:
    """
    Return the answer a plan's intent asks for, from the tracks when it is about a thing.

    "Where is it now" and "when last" are answered by the latest sighting, with the earlier
    places as history; "how many" by the count of sightings; everything else, and any plan
    without a track, by the retrieval-only answer.
    """
    if plan.missing and not plan.entity_tags() and not hits:
        names = ', '.join(_label(t) for t in plan.missing)
        return f'{NO_MEMORY_ANSWER} Nothing in memory is named {names}.', []
    if not tracks or plan.intent not in ('where_now', 'when_last', 'count'):
        return retrieval_only_answer(hits, now)
    parts: list[str] = []
    cited: list[str] = []
    for track in tracks[:3]:
        last = track.last
        cited.append(last.memory_id)
        if plan.intent == 'count':
            parts.append(f'{_label(track.tag)}: seen {track.seen_count} times in '
                         f'{track.memories} memories, last {_place(last)}, '
                         f'{describe_age(now - last.time)} [{last.memory_id}]')
        else:
            text = (f'{_label(track.tag)} was last seen {_place(last)}, '
                    f'{describe_age(now - last.time)} [{last.memory_id}]')
            earlier = [s for s in track.history[1:] if s.rooms != last.rooms][:2]
            if earlier:
                text += '; before that ' + '; '.join(
                    f'{_place(s)}, {describe_age(now - s.time)} [{s.memory_id}]'
                    for s in earlier)
                cited += [s.memory_id for s in earlier]
            parts.append(text)
    return '. '.join(p[0].upper() + p[1:] for p in parts) + '.', list(dict.fromkeys(cited))
