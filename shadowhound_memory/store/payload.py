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
the same filter semantics; keeping the layout, the conditions and the circle post-filter here
means a record written by one reads back identically from the other, and the shared contract
tests hold both to it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import json
import math
import os
from typing import Any, TypeVar
import uuid

from shadowhound_memory.domain.errors import (EmbeddingMismatchError, InvalidRequestError,
                                              StoreError)
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter

# Flat copies of the pose for range filters, and the record's exact JSON text; stripped when
# reading back. Qdrant Edge 0.9 hands about one payload float in eight back 1 ulp off (its
# filters see the exact value), so records are read from the text, which round-trips exactly.
RECORD_JSON = 'record_json'
FLAT_FIELDS = ('x', 'y', 'has_pose', RECORD_JSON)
KEYWORD_INDEXES = ('mission_id', 'tags', 'event')
FLOAT_INDEXES = ('timestamp', 'last_seen', 'x', 'y')
# Box-to-circle area is 4/pi; twice the limit usually fills a circle in one round trip.
CIRCLE_OVERFETCH = 2

T = TypeVar('T')


def to_payload(record: MemoryRecord) -> dict[str, Any]:
    """Return the stored payload: the record plus flat pose fields for filtering."""
    payload = record.payload()
    payload['has_pose'] = record.pose is not None
    if record.pose is not None:
        payload['x'] = record.pose.x
        payload['y'] = record.pose.y
    payload[RECORD_JSON] = record.model_dump_json()
    return payload


def from_payload(payload: dict[str, Any]) -> MemoryRecord:
    """Return the record stored in a payload (from its exact text when there is one)."""
    text = payload.get(RECORD_JSON)
    if isinstance(text, str):
        return MemoryRecord.model_validate_json(text)
    return MemoryRecord.model_validate({k: v for k, v in payload.items()
                                        if k not in FLAT_FIELDS})


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


def first_in_circle(fetch: Callable[[int | None], list[T]], record_of: Callable[[T], MemoryRecord],
                    near: tuple[float, float, float] | None, limit: int | None) -> list[T]:
    """
    Return the first ``limit`` (None: all) fetched items whose record lies in the circle.

    ``fetch(n)`` returns the first n items (None: all) of the backend's ordering under the box
    prefilter. The box holds the circle, so the circle's first ``limit`` items are the first ones
    kept from a long enough prefix: fetch more until the prefix is long enough or exhausted.
    """
    if limit is not None and limit <= 0:
        return []
    if near is None:
        return fetch(limit)
    size = None if limit is None else limit * CIRCLE_OVERFETCH
    while True:
        items = fetch(size)
        kept = [item for item in items if in_circle(record_of(item), near)]
        if size is None or limit is None or len(kept) >= limit or len(items) < size:
            return kept if limit is None else kept[:limit]
        size *= 4


def valid_ids(ids: Sequence[str]) -> list[str]:
    """Return the distinct ids that are UUIDs, canonicalized; no record has any other id."""
    valid: dict[str, None] = {}
    for value in ids:
        try:
            valid[str(uuid.UUID(str(value)))] = None
        except ValueError:
            continue
    return list(valid)


def check_vectors(records: Sequence[MemoryRecord], vectors: Sequence[Sequence[float]],
                  dimension: int) -> list[list[float]]:
    """Return the vectors as float lists; refuse a batch that does not pair or fit the store."""
    if len(records) != len(vectors):
        raise InvalidRequestError(f'{len(records)} records but {len(vectors)} vectors; give one '
                                  'vector per record')
    checked = []
    for record, vector in zip(records, vectors):
        values = [float(v) for v in vector]
        if len(values) != dimension:
            raise InvalidRequestError(
                f'record {record.id} has a {len(values)}-d vector but the collection holds '
                f'{dimension}-d vectors; embed with the model the collection was made for')
        if not all(math.isfinite(v) for v in values) or not any(values):
            raise InvalidRequestError(f'record {record.id} has a zero or non-finite vector')
        checked.append(values)
    return checked


def check_info(stored: CollectionInfo, wanted: CollectionInfo, where: str) -> None:
    """Refuse to mix embeddings of two models or sizes, or records of two schema versions."""
    if (stored.embedding_model, stored.dimension) != (wanted.embedding_model, wanted.dimension):
        raise EmbeddingMismatchError(
            f'{where} holds {stored.dimension}-d vectors of {stored.embedding_model}, but the '
            f'node embeds with {wanted.embedding_model} ({wanted.dimension}-d); use another '
            'store path or collection, or re-embed the memories with the new model')
    if stored.schema_version != wanted.schema_version:
        raise StoreError(
            f'{where} holds records of schema version {stored.schema_version}, but this package '
            f'reads version {wanted.schema_version}; use another store path or collection, or '
            'migrate the records')


def info_to_json(info: CollectionInfo) -> dict[str, Any]:
    """Return the collection facts as stored beside (or in) a collection."""
    return {'embedding_model': info.embedding_model, 'dimension': info.dimension,
            'schema_version': info.schema_version}


def info_from_json(data: dict[str, Any]) -> CollectionInfo:
    """Return collection facts read back from storage."""
    return CollectionInfo(str(data['embedding_model']), int(data['dimension']),
                          int(data['schema_version']))


def read_info(path: str) -> CollectionInfo | None:
    """Read collection.json, None when absent."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as handle:
            return info_from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f'{path} is unreadable ({exc}); restore it or move the store away') \
            from exc


def write_info(path: str, info: CollectionInfo) -> None:
    """Write collection.json atomically, so a crash never leaves half a file."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(info_to_json(info), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path))


def fsync_dir(path: str) -> None:
    """Make a file creation, rename or removal in ``path`` durable."""
    fd = os.open(path or '.', os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
