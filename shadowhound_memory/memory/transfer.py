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
Export memories to JSON Lines and import them back (backups, other robots, shared missions).

The file is one header line (format, embedding model and dimension of the vectors) and then one
schema-valid memory record per line, in timestamp order, each optionally with its ``vector``. An
import keeps the records' ids, so importing a file twice stores each memory once; it reuses the
vectors only when the target store embeds with the same model and dimension, and re-embeds
otherwise; a damaged line is reported with its line number and the other lines are imported.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
import json
import math
from typing import Any, TextIO

from shadowhound_memory.domain.errors import SchemaError
from shadowhound_memory.domain.records import MemoryRecord, parse_record, SCHEMA_VERSION
from shadowhound_memory.embeddings.base import EmbeddingProvider
from shadowhound_memory.memory.service import embedding_text
from shadowhound_memory.store.base import CollectionInfo, MemoryFilter, MemoryStore

EXPORT_FORMAT = 'shadowhound_memory.memories'
EXPORT_VERSION = 1
VECTOR_KEY = 'vector'
# Records read, embedded and written per store call: bounded memory for any file size.
BATCH = 256


@dataclass(frozen=True)
class Selection:
    """Which memories to export: missions (none: all) and a window on their timestamps."""

    mission_ids: tuple[str, ...] = ()
    time_from: float | None = None
    time_to: float | None = None

    def memory_filter(self) -> MemoryFilter:
        """Return the store filter of this selection."""
        return MemoryFilter(mission_ids=self.mission_ids or None, time_from=self.time_from,
                            time_to=self.time_to)

    def describe(self) -> dict[str, Any]:
        """Return the selection as recorded in the export header."""
        return {'missions': list(self.mission_ids) or 'all', 'time_from': self.time_from,
                'time_to': self.time_to}


def export_header(info: CollectionInfo, selection: Selection, with_vectors: bool,
                  count: int) -> dict[str, Any]:
    """Return the first line of an export: what the records and vectors are."""
    return {'export_format': EXPORT_FORMAT, 'export_version': EXPORT_VERSION,
            'schema_version': info.schema_version, 'embedding_model': info.embedding_model,
            'dimension': info.dimension, 'vectors': with_vectors, 'records': count,
            'selection': selection.describe()}


def export_records(store: MemoryStore, info: CollectionInfo, out: TextIO,
                   selection: Selection = Selection(), with_vectors: bool = False) -> int:
    """Write the selected memories as JSON Lines to ``out``; return how many were written."""
    records = store.scroll(selection.memory_filter(), None)
    out.write(json.dumps(export_header(info, selection, with_vectors, len(records))) + '\n')
    for start in range(0, len(records), BATCH):
        batch = records[start:start + BATCH]
        vectors = store.get_vectors([r.id for r in batch]) if with_vectors else {}
        for record in batch:
            line = record.payload()
            if record.id in vectors:
                line[VECTOR_KEY] = [round(float(v), 7) for v in vectors[record.id]]
            out.write(json.dumps(line, ensure_ascii=False) + '\n')
    return len(records)


@dataclass
class ImportReport:
    """What an import did, line by line where something went wrong."""

    records: int = 0
    stored: int = 0
    replaced: int = 0
    unchanged: int = 0
    reembedded: int = 0
    damaged: list[tuple[int, str]] = field(default_factory=list)
    header: dict[str, Any] | None = None

    def summary(self) -> str:
        """Return one line a person reads after the import."""
        text = (f'{self.records} records read: {self.stored} stored, {self.replaced} replaced, '
                f'{self.unchanged} already present; {self.reembedded} re-embedded; '
                f'{len(self.damaged)} damaged lines')
        return text + ''.join(f'\n  line {n}: {why}' for n, why in self.damaged)


@dataclass(frozen=True)
class _Line:
    number: int
    record: MemoryRecord
    vector: list[float] | None


def _vector(value: Any, dimension: int | None) -> list[float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) for v in value) or \
            not all(math.isfinite(v) for v in value):
        raise SchemaError('vector must be a list of finite numbers', ['vector: not numbers'])
    if dimension is not None and len(value) != dimension:
        raise SchemaError(f'vector has {len(value)} values, the header says {dimension}',
                          ['vector: wrong size'])
    return [float(v) for v in value]


def _read(lines: Iterable[str], report: ImportReport) -> Iterator[_Line]:
    dimension: int | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            report.damaged.append((number, f'not valid JSON ({exc})'))
            continue
        if isinstance(data, dict) and 'export_format' in data:
            if data.get('export_format') != EXPORT_FORMAT or \
                    data.get('export_version') != EXPORT_VERSION:
                report.damaged.append((number, f'header of another format {data!r:.120}'))
                continue
            report.header = data
            dim = data.get('dimension')
            dimension = dim if isinstance(dim, int) else None
            continue
        try:
            if not isinstance(data, dict):
                raise SchemaError('a memory record must be a JSON object', ['record'])
            vector = _vector(data.pop(VECTOR_KEY, None), dimension)
            yield _Line(number, parse_record(data), vector)
        except SchemaError as exc:
            report.damaged.append((number, str(exc)))


def _batches(items: Iterator[_Line]) -> Iterator[list[_Line]]:
    batch: list[_Line] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def import_records(lines: Iterable[str], store: MemoryStore,
                   embedder: EmbeddingProvider) -> ImportReport:
    """
    Import exported memories into ``store`` (already opened for ``embedder``).

    Vectors are reused only when the header names this embedder's model and dimension; otherwise
    (another model, no header, no vector on the line) the record is embedded again. A record whose
    id is already stored with the same content is left alone; with other content it is replaced.
    """
    report = ImportReport()
    for batch in _batches(_read(lines, report)):
        header = report.header or {}
        same_model = header.get('embedding_model') == embedder.model_id and \
            header.get('dimension') == embedder.dimension
        # A file may repeat an id (two exports concatenated): the last line wins, once.
        latest = {item.record.id: item for item in batch}
        report.records += len(batch)
        existing = {r.id: r for r in store.get(list(latest))}
        todo: list[_Line] = []
        for item in latest.values():
            before = existing.get(item.record.id)
            if before is not None and before.payload() == item.record.payload():
                report.unchanged += 1
                continue
            todo.append(item)
            if before is None:
                report.stored += 1
            else:
                report.replaced += 1
        report.unchanged += len(batch) - len(latest)
        if not todo:
            continue
        again = [i for i in todo if not same_model or i.vector is None]
        fresh = embedder.embed([embedding_text(i.record) for i in again]) if again else []
        vectors = dict(zip((i.record.id for i in again), fresh))
        report.reembedded += len(again)
        store.upsert([i.record for i in todo],
                     [vectors.get(i.record.id) or _required(i.vector) for i in todo])
    return report


def _required(vector: Sequence[float] | None) -> Sequence[float]:
    assert vector is not None, 'a record without a vector is re-embedded'
    return vector


def collection_info(embedder: EmbeddingProvider) -> CollectionInfo:
    """Return the collection a store holding this embedder's vectors is opened with."""
    return CollectionInfo(embedder.model_id, embedder.dimension, SCHEMA_VERSION)
