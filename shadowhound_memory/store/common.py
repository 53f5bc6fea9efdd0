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
What both store backends share: the payload layout and the backend-neutral filter.

Both Qdrant flavours (embedded Edge, server via qdrant-client) store the same payload and apply
the same filter semantics; keeping the layout and the conditions here means a record written by
one reads back identically from the other, and the shared contract tests hold both to it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
import json
import math
import os
from typing import Any

from shadowhound_memory.errors import EmbeddingMismatchError, StoreError
from shadowhound_memory.memory.schema import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter

# Flat copies of the pose for range filters and their indexes; stripped when reading back.
FLAT_FIELDS = ('x', 'y', 'has_pose')
KEYWORD_INDEXES = ('mission_id', 'tags', 'event')
FLOAT_INDEXES = ('timestamp', 'last_seen', 'x', 'y')


def to_payload(record: MemoryRecord) -> dict[str, Any]:
    """Return the stored payload: the record plus flat pose fields for filtering."""
    payload = record.payload()
    payload['has_pose'] = record.pose is not None
    if record.pose is not None:
        payload['x'] = record.pose.x
        payload['y'] = record.pose.y
    return payload


def from_payload(payload: dict[str, Any]) -> MemoryRecord:
    """Return the record stored in a payload."""
    data = {k: v for k, v in payload.items() if k not in FLAT_FIELDS}
    return MemoryRecord.model_validate(data)


@dataclass(frozen=True)
class Match:
    """The field equals value (for lists: contains it)."""

    key: str
    value: str


@dataclass(frozen=True)
class MatchAnyOf:
    """The field equals (or contains) one of values."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    """The numeric field lies in [gte, lte] (either side open when None)."""

    key: str
    gte: float | None = None
    lte: float | None = None


Condition = Match | MatchAnyOf | Range


def conditions(flt: MemoryFilter) -> list[Condition]:
    """Translate a filter into conditions that must all hold (the circle as its box)."""
    must: list[Condition] = []
    if flt.mission_ids is not None:
        must.append(MatchAnyOf('mission_id', tuple(flt.mission_ids)))
    if flt.tags_any:
        must.append(MatchAnyOf('tags', tuple(flt.tags_any)))
    must += [Match('tags', tag) for tag in flt.tags_all]
    if flt.events:
        must.append(MatchAnyOf('event', tuple(flt.events)))
    if flt.time_from is not None or flt.time_to is not None:
        must.append(Range('timestamp', flt.time_from, flt.time_to))
    if flt.last_seen_from is not None or flt.last_seen_to is not None:
        must.append(Range('last_seen', flt.last_seen_from, flt.last_seen_to))
    if flt.box is not None:
        x_min, y_min, x_max, y_max = flt.box
        must += [Range('x', x_min, x_max), Range('y', y_min, y_max)]
    if flt.near is not None:
        x, y, radius = flt.near
        must += [Range('x', x - radius, x + radius), Range('y', y - radius, y + radius)]
    return must


def in_circle(record: MemoryRecord, near: tuple[float, float, float] | None) -> bool:
    """Tell whether a record lies in the filter's circle (True when there is none)."""
    if near is None:
        return True
    if record.pose is None:
        return False
    return math.hypot(record.pose.x - near[0], record.pose.y - near[1]) <= near[2]


def check_vectors(records: Sequence[MemoryRecord], vectors: Sequence[Sequence[float]],
                  dimension: int) -> None:
    """Refuse a batch whose vectors do not pair with its records or have the wrong size."""
    if len(records) != len(vectors):
        raise StoreError(f'{len(records)} records but {len(vectors)} vectors')
    for vector in vectors:
        if len(vector) != dimension:
            raise StoreError(f'vector of size {len(vector)} given to a {dimension}-d collection')


def check_info(stored: CollectionInfo, wanted: CollectionInfo, where: str) -> None:
    """Refuse to mix embeddings of two models or sizes in one collection."""
    if (stored.embedding_model, stored.dimension) != (wanted.embedding_model, wanted.dimension):
        raise EmbeddingMismatchError(
            f'{where} holds {stored.dimension}-d vectors of {stored.embedding_model}, but the '
            f'node embeds with {wanted.embedding_model} ({wanted.dimension}-d); use another '
            'store path or collection, or re-embed the memories with the new model')


def read_info(path: str) -> CollectionInfo | None:
    """Read collection.json, None when absent."""
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        data = json.load(handle)
    return CollectionInfo(data['embedding_model'], int(data['dimension']),
                          int(data['schema_version']))


def write_info(path: str, info: CollectionInfo) -> None:
    """Write collection.json atomically, so a crash never leaves half a file."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump({'embedding_model': info.embedding_model, 'dimension': info.dimension,
                   'schema_version': info.schema_version}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
