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
Memory hygiene: merge near-duplicates, purge by age, cap each mission.

A robot that drives past the same red ball every minute should have one memory of it, seen many
times, not hundreds: a new record is merged into an existing one of the same mission and event
kind when they were seen at the same place (within ``radius_m``), close in time (the existing
record's last sighting within ``time_window_s``) and say nearly the same thing (cosine similarity
of their embeddings at least ``min_similarity``).

Similar words are not enough when the records say who or what they are about. Two memories of
different people or speakers (``person:``/``speaker:`` tags) never merge: a question and its
answer, said by two people in the same minute, read alike to MiniLM, and merging them loses one
of the two (measured on a conversational benchmark: four questions lost their evidence). Nor do
two memories whose content tags (every tag but the ``source:`` provenance) differ when both have
some: ``object:red_ball`` and ``object:red_cup`` are two things however alike the sentences. An
untagged sighting may still merge into a tagged one (the merge takes in the tags).

A record without a pose never merges: an unknown place is not "the same place", so two
placeless reports (an odometry gap, an agent's note) stay two memories rather than one memory
whose place nobody measured; nor does an unknown place merge into a known one, which would
claim a position nobody measured for that sighting.
"""

from collections.abc import Sequence
import math

from pydantic import BaseModel, ConfigDict, Field

from shadowhound_memory.domain.records import MAX_SEEN_COUNT, MAX_TAGS, MemoryRecord
from shadowhound_memory.store.base import MemoryFilter, MemoryStore

# Tags naming who a memory is about or who said it; records about different people never merge.
PEOPLE_KINDS = ('person', 'speaker')
# Provenance, not content: the same thing reported by two sensors is still the same thing.
PROVENANCE_KINDS = ('source',)

# The store's filter already holds mission, event, time window and place: the few most similar
# candidates left are enough to find the duplicate if there is one.
DUPLICATE_CANDIDATES = 5


class DedupeConfig(BaseModel):
    """When two observations are the same memory."""

    model_config = ConfigDict(extra='forbid')

    enabled: bool = Field(True, description='Merge near-duplicates.')
    radius_m: float = Field(1.0, ge=0.0, le=100.0,
                            description='Same place: poses within this distance (m).')
    time_window_s: float = Field(300.0, ge=0.0, le=1e7,
                                 description='Same time: within this of the last sighting (s).')
    min_similarity: float = Field(0.9, ge=0.0, le=1.0,
                                  description='Same content: embedding cosine at least this.')


class RetentionConfig(BaseModel):
    """How long memories live and how many a mission keeps."""

    model_config = ConfigDict(extra='forbid')

    max_age_s: float | None = Field(None, gt=0.0, le=1e10,
                                    description='Purge memories last seen longer ago than this '
                                                '(s); None keeps them forever.')
    per_mission_quota: int | None = Field(None, ge=1, le=100_000_000,
                                          description='Most memories a mission keeps (the '
                                                      'oldest go); None: no cap.')


def same_place(a: MemoryRecord, b: MemoryRecord, radius_m: float) -> bool:
    """Tell whether two records were made at the same known place (see the module docstring)."""
    if a.pose is None or b.pose is None:
        return False
    return math.hypot(a.pose.x - b.pose.x, a.pose.y - b.pose.y) <= radius_m


def _kind(tag: str) -> str:
    return tag.split(':', 1)[0] if ':' in tag else ''


def same_subject(a: MemoryRecord, b: MemoryRecord) -> bool:
    """Tell whether two records may be about the same thing by their tags (module docstring)."""
    people_a = {t for t in a.tags if _kind(t) in PEOPLE_KINDS}
    people_b = {t for t in b.tags if _kind(t) in PEOPLE_KINDS}
    if people_a != people_b:
        return False
    content_a = {t for t in a.tags if _kind(t) not in PROVENANCE_KINDS}
    content_b = {t for t in b.tags if _kind(t) not in PROVENANCE_KINDS}
    return not content_a or not content_b or content_a == content_b


def could_be_duplicate(existing: MemoryRecord, record: MemoryRecord,
                       config: DedupeConfig) -> bool:
    """Apply every part of the duplicate rule but similarity, which costs a vector product."""
    last_seen = existing.last_seen or existing.timestamp
    return (config.enabled and existing.id != record.id
            and existing.mission_id == record.mission_id and existing.event == record.event
            and abs(record.timestamp - last_seen) <= config.time_window_s
            and same_place(existing, record, config.radius_m)
            and same_subject(existing, record))


def is_duplicate(existing: MemoryRecord, record: MemoryRecord, similarity: float,
                 config: DedupeConfig) -> bool:
    """Apply the duplicate rule to a candidate whose similarity is already known."""
    return similarity >= config.min_similarity and could_be_duplicate(existing, record, config)


def find_duplicate(store: MemoryStore, record: MemoryRecord, vector: Sequence[float],
                   config: DedupeConfig) -> MemoryRecord | None:
    """Return the stored record this one duplicates, if any."""
    if not config.enabled or record.pose is None:
        return None
    near = (record.pose.x, record.pose.y, max(config.radius_m, 1e-6))
    flt = MemoryFilter(mission_ids=(record.mission_id,), events=(record.event,),
                       last_seen_from=record.timestamp - config.time_window_s,
                       last_seen_to=record.timestamp + config.time_window_s, near=near)
    for hit in store.search(vector, flt, DUPLICATE_CANDIDATES):
        if is_duplicate(hit.record, record, hit.score, config):
            return hit.record
    return None


def merged(existing: MemoryRecord, record: MemoryRecord) -> MemoryRecord:
    """
    Return the existing record updated by a new sighting.

    The existing id, text and pose stay: the agent may already cite the id and quote the text,
    and a pose that followed every sighting would drift by up to the merge radius each time. The
    sighting count, the time span (first seen, last seen), tags (up to MAX_TAGS) and confidence
    take in the new sighting.
    """
    tags = list(existing.tags)
    for tag in record.tags:
        if tag not in tags and len(tags) < MAX_TAGS:
            tags.append(tag)
    return existing.model_copy(update={
        'timestamp': min(existing.timestamp, record.timestamp),
        'last_seen': max(existing.last_seen or existing.timestamp,
                         record.last_seen or record.timestamp),
        # Saturates rather than exceed what the record message can carry.
        'seen_count': min(existing.seen_count + record.seen_count, MAX_SEEN_COUNT),
        'tags': tags,
        'confidence': max(existing.confidence, record.confidence),
    })


def purge_expired(store: MemoryStore, now: float, config: RetentionConfig) -> int:
    """Delete memories last seen max_age_s or more before ``now``; return how many."""
    if config.max_age_s is None:
        return 0
    return store.delete(MemoryFilter(last_seen_to=now - config.max_age_s))


def enforce_quota(store: MemoryStore, mission_id: str, config: RetentionConfig) -> int:
    """
    Delete a mission's oldest memories beyond its quota; return how many.

    Oldest by first observation (the store's time order), so the cost is one count and, only when
    over the quota, one scroll of the excess.
    """
    if config.per_mission_quota is None:
        return 0
    flt = MemoryFilter(mission_ids=(mission_id,))
    excess = store.count(flt) - config.per_mission_quota
    if excess <= 0:
        return 0
    return store.delete_ids([r.id for r in store.scroll(flt, excess)])
