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
The deterministic memory writer: observation + pose + mission -> a compact, normalized record.

No LLM is involved, so it is fast, predictable, and the fallback whenever the LLM writer fails;
for that reason every record it returns is schema-valid, whatever text a perception stack sends.
"""

from collections.abc import Sequence
from dataclasses import dataclass
import math
import re
from typing import Protocol

from pydantic import ValidationError

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import (clean_chars, format_validation_error,
                                               FRAME_PATTERN, MAX_TAG_CHARS, MAX_TAGS,
                                               MAX_TEXT_CHARS, MemoryRecord, Pose, SOURCE_PATTERN,
                                               TAG_PATTERN)
from shadowhound_memory.domain.vocabulary import COLOURS, OBJECTS, ROOMS
from shadowhound_memory.pose.buffer import PoseEstimate


PERSON_WORDS = ('person', 'persons', 'people', 'man', 'men', 'woman', 'women', 'child',
                'children', 'kid', 'kids', 'someone', 'somebody', 'human', 'visitor', 'pedestrian')
ALERT_WORDS = ('warning', 'alert', 'fire', 'smoke', 'blocked', 'fallen', 'leak', 'broken',
               'danger')
PLACE_PHRASES = ('entered', 'entering', 'arrived at', 'arrived in', 'reached', 'now in',
                 'moved into', 'went into', 'walked into')
SEEN_PHRASES = ('see', 'sees', 'saw', 'seen', 'spotted', 'found', 'detected', 'noticed',
                'there is', 'there are', 'on the', 'on a', 'under the', 'next to', 'behind the',
                'near the', 'in front of')
SEEING_SOURCES = ('camera', 'detector', 'detection', 'vision', 'perception')

_TAG_RE = re.compile(TAG_PATTERN)
_SOURCE_RE = re.compile(SOURCE_PATTERN)
_FRAME_RE = re.compile(FRAME_PATTERN)


def _words_re(phrases: Sequence[str]) -> re.Pattern[str]:
    # Whole words only: 'see' must not fire on 'seems', nor 'now in' on 'snow in'.
    return re.compile(r'\b(?:' + '|'.join(re.escape(p) for p in phrases) + r')\b')


# A plural 's' or 'es' is dropped, so 'two red balls' tags object:red_ball; longest nouns first,
# so that a noun ending in 'es' is never read as the plural of a shorter one.
_OBJECT_RE = re.compile(r'\b(?:(' + '|'.join(COLOURS) + r')\s+)?(' +
                        '|'.join(sorted(OBJECTS, key=len, reverse=True)) + r')(?:e?s)?\b')
_ROOM_RE = re.compile(r'\b(' + '|'.join(sorted(ROOMS, key=len, reverse=True)) + r')\b')
_ALERT_RE = _words_re(ALERT_WORDS)
# Equipment named after a hazard is an object, not the hazard.
_NOT_ALERT_RE = re.compile(r'\bfire (?:extinguisher|exit|door|hydrant)')
_PERSON_RE = _words_re(PERSON_WORDS)
_PLACE_RE = _words_re(PLACE_PHRASES)
_SEEN_RE = _words_re(SEEN_PHRASES)


def clean_text(text: str) -> str:
    """Remove control characters, collapse white space, and trim to the schema's length."""
    collapsed = clean_chars(text)
    if len(collapsed) <= MAX_TEXT_CHARS:
        return collapsed
    cut = collapsed[:MAX_TEXT_CHARS - 1]
    if ' ' in cut[MAX_TEXT_CHARS // 2:]:
        cut = cut[:cut.rindex(' ')]
    return cut.rstrip() + '\u2026'


def normalize_tag(tag: str) -> str | None:
    """Return the tag lowercased with spaces as underscores, or None if it is still invalid."""
    candidate = re.sub(r'\s*:\s*', ':', tag.strip().lower())
    candidate = '_'.join(candidate.split())
    candidate = re.sub(r'[^a-z0-9_.:\-]', '', candidate)
    if len(candidate) > MAX_TAG_CHARS or not _TAG_RE.match(candidate):
        return None
    return candidate


def _source_words(source: str) -> set[str]:
    return set(re.split(r'[^a-z0-9]+', source.lower()))


def classify_event(text: str, source: str, tags: Sequence[str] = ()) -> str:
    """Infer the event kind from the wording, who reported it and the perception tags."""
    lowered = text.lower()
    source_words = _source_words(source)
    # A hazard outranks who or what is involved: 'a person has fallen' is an alert.
    if _ALERT_RE.search(_NOT_ALERT_RE.sub(' ', lowered)):
        return 'alert'
    # Names are not in any word list: a person is known from the detector's label or tags.
    if 'person' in source_words or _PERSON_RE.search(lowered) or \
            any(t == 'person' or t.startswith('person:') or t.endswith(':person') for t in tags):
        return 'person_seen'
    if _PLACE_RE.search(lowered):
        return 'place_visited'
    if 'operator' in source_words:
        return 'note'
    if source_words & set(SEEING_SOURCES) or _SEEN_RE.search(lowered) or \
            _OBJECT_RE.search(lowered):
        return 'object_seen'
    return 'note'


def derive_tags(text: str, source: str, room: str | None) -> list[str]:
    """Derive object:*, room:* and source:* tags from the wording, the room and the source."""
    lowered = text.lower()
    tags = []
    for colour, noun in _OBJECT_RE.findall(lowered):
        tags.append(f'object:{colour}_{noun}' if colour else f'object:{noun}')
    rooms = [ROOMS[m] for m in _ROOM_RE.findall(lowered)]
    if not rooms and room:
        rooms = [room]
    tags += [f'room:{r}' for r in rooms]
    if source and source != 'unknown':
        # A source may hold ':' and '/', which a tag value may not.
        tags.append('source:' + re.sub(r'[:/]+', '_', source))
    return [t for t in (normalize_tag(t) for t in tags) if t]


@dataclass
class WrittenRecord:
    """A record and how it was written: the writer's route and, for a fallback, why."""

    record: MemoryRecord
    route: str = 'deterministic'
    note: str = ''


class RecordWriter(Protocol):
    """What the memory service needs of a writer (deterministic, or the LLM writer)."""

    def write_noted(self, observation: Observation, pose: PoseEstimate,
                    context: MissionContext) -> WrittenRecord:
        """Return the record and how it was written; raise InvalidRequestError if unusable."""

    def write_many(self, items: Sequence[tuple[Observation, PoseEstimate, MissionContext]]
                   ) -> list['WrittenRecord | InvalidRequestError']:
        """Write a batch; an unusable item yields its error, in place."""


class DeterministicWriter:
    """Rules that turn an observation into a record; never returns an invalid record."""

    def write_noted(self, observation: Observation, pose: PoseEstimate,
                    context: MissionContext) -> WrittenRecord:
        """Return the record as a WrittenRecord (the RecordWriter interface)."""
        return WrittenRecord(self.write(observation, pose, context))

    def write_many(self, items: Sequence[tuple[Observation, PoseEstimate, MissionContext]]
                   ) -> list[WrittenRecord | InvalidRequestError]:
        """Write a batch; an unusable item yields its error, in place."""
        results: list[WrittenRecord | InvalidRequestError] = []
        for item in items:
            try:
                results.append(self.write_noted(*item))
            except InvalidRequestError as exc:
                results.append(exc)
        return results

    def write(self, observation: Observation, pose: PoseEstimate,
              context: MissionContext) -> MemoryRecord:
        """Return the normalized record, or raise InvalidRequestError for unusable input."""
        text = clean_text(observation.text)
        # Checked before trimming could cut the words off: any letter or digit makes a record.
        if not any(c.isalnum() for c in observation.text):
            raise InvalidRequestError('observation text is empty or has no letters or digits; '
                                      'send what was observed in words')
        if not math.isfinite(observation.stamp) or observation.stamp <= 0:
            raise InvalidRequestError(f'observation stamp must be a positive time in seconds '
                                      f'(got {observation.stamp})')
        if not math.isfinite(observation.confidence):
            raise InvalidRequestError('observation confidence must be a number in [0, 1]')
        source = observation.source.strip().lower() or 'unknown'
        if not _SOURCE_RE.match(source):
            source = 'unknown'
        caller = [t for t in (normalize_tag(t) for t in observation.tags) if t]
        tags: list[str] = []
        for tag in caller + derive_tags(text, source, context.room):
            if tag not in tags and len(tags) < MAX_TAGS:
                tags.append(tag)
        # A record's frame is the frame of its pose: a known pose comes from the pose source (the
        # map), whatever sensor frame the observation was made in; only a record without a pose
        # keeps the observation's frame, as a hint of where it came from.
        frame_id = observation.frame_id.strip().lstrip('/')
        if pose.known or not _FRAME_RE.match(frame_id):
            frame_id = ''
        try:
            record_pose = Pose(x=pose.x, y=pose.y, yaw=pose.yaw) if pose.known else None
            return MemoryRecord(
                event=classify_event(text, source, caller), text=text, pose=record_pose,
                frame_id=frame_id or pose.frame_id or 'map', tags=tags,
                mission_id=context.mission_id, timestamp=observation.stamp, source=source,
                confidence=min(1.0, max(0.0, observation.confidence)))
        except ValidationError as exc:
            # Only caller-given values can fail here: the mission id or an out-of-map pose.
            raise InvalidRequestError(
                'cannot write this observation: ' + '; '.join(format_validation_error(exc))
            ) from exc
