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
Export and import of memories against the real parts.

Real MiniLM, a real Qdrant Edge store on disk, the Qdrant server code path through qdrant-client's
local mode, and the command-line tools in their own process.
"""

import json
import math
import os
import subprocess
import sys

import pytest
from qdrant_client import QdrantClient
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import parse_record
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.memory.transfer import (collection_info, export_records, import_records,
                                                Selection)
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.store.base import MemoryFilter
from shadowhound_memory.store.edge import EdgeStore
from shadowhound_memory.store.server import QdrantServerStore

T0 = 1_800_000_000.0
SIGHTINGS = [('m1', 'A red ball under the kitchen table.', 0), ('m1', 'The charger is in the '
             'office.', 60), ('m1', 'A person waved in the hallway.', 120),
             ('m2', 'A blue mug on the sofa.', 30), ('m2', 'The garage door is open.', 90)]


class CutEmbedder:
    """Another embedding model: MiniLM cut to its first 128 dimensions and re-normalized."""

    model_id = 'minilm-first-128'
    dimension = 128

    def __init__(self, real):
        self.real = real
        self.calls = 0

    def _cut(self, vector):
        head = vector[:self.dimension]
        norm = math.sqrt(sum(v * v for v in head))
        return [v / norm for v in head]

    def embed(self, texts):
        self.calls += len(texts)
        return [self._cut(v) for v in self.real.embed(texts)]

    def embed_query(self, text):
        return self._cut(self.real.embed_query(text))


@pytest.fixture
def source(tmp_path, embedder):
    store = EdgeStore(tmp_path / 'source')
    service = MemoryService(store, embedder)
    items = [(Observation(text=text, stamp=T0 + dt, source='camera'),
              PoseEstimate(float(dt) / 10, 1.0, 0.0, True, '', 'map'), MissionContext(mission))
             for mission, text, dt in SIGHTINGS]
    assert all(o.error is None for o in service.write_observations(items))
    yield store
    store.close()


def export_text(store, embedder, **kwargs):
    import io
    out = io.StringIO()
    count = export_records(store, collection_info(embedder), out, **kwargs)
    return count, out.getvalue().splitlines()


def test_an_export_is_a_header_and_schema_valid_records_of_the_selection(source, embedder):
    count, lines = export_text(source, embedder, selection=Selection(('m1',)))
    header = json.loads(lines[0])
    assert count == 3 and len(lines) == 4
    assert header['embedding_model'] == embedder.model_id and header['dimension'] == 384
    records = [parse_record(line) for line in lines[1:]]
    assert [r.mission_id for r in records] == ['m1'] * 3
    assert [r.timestamp for r in records] == sorted(r.timestamp for r in records)
    count, lines = export_text(source, embedder,
                               selection=Selection(time_from=T0 + 30, time_to=T0 + 90))
    assert count == 3
    assert {json.loads(line)['text'] for line in lines[1:]} == {
        'A blue mug on the sofa.', 'The charger is in the office.', 'The garage door is open.'}


def test_an_import_of_the_same_model_reuses_the_vectors_and_twice_stores_once(
        source, embedder, tmp_path):
    _, lines = export_text(source, embedder, with_vectors=True)
    target = EdgeStore(tmp_path / 'target')
    try:
        target.open_collection(collection_info(embedder))
        spy = CutEmbedder(embedder)
        spy.model_id, spy.dimension = embedder.model_id, embedder.dimension
        report = import_records(lines, target, spy)
        assert (report.records, report.stored, report.reembedded, spy.calls) == (5, 5, 0, 0)
        report = import_records(lines, target, spy)
        assert (report.stored, report.replaced, report.unchanged) == (0, 0, 5)
        assert target.count() == 5
        ids = [json.loads(line)['id'] for line in lines[1:]]
        original = source.get_vectors(ids)
        copied = target.get_vectors(ids)
        assert all(copied[i] == pytest.approx(original[i], abs=1e-6) for i in ids)
        hits = target.search(embedder.embed_query('where is the ball?'), MemoryFilter(), 1)
        assert hits[0].record.text == 'A red ball under the kitchen table.'
    finally:
        target.close()


def test_an_import_into_a_store_of_another_model_re_embeds(source, embedder):
    _, lines = export_text(source, embedder, with_vectors=True)
    other = CutEmbedder(embedder)
    target = QdrantServerStore(client=QdrantClient(':memory:'))
    try:
        target.open_collection(collection_info(other))
        report = import_records(lines, target, other)
        assert (report.stored, report.reembedded, other.calls) == (5, 5, 5)
        vectors = target.get_vectors([json.loads(lines[1])['id']])
        assert len(next(iter(vectors.values()))) == 128
        hits = target.search(other.embed_query('an open garage door'), MemoryFilter(), 1)
        assert hits[0].record.text == 'The garage door is open.'
    finally:
        target.close()


def test_damaged_lines_are_reported_by_number_and_the_rest_imported(source, embedder, tmp_path):
    _, lines = export_text(source, embedder)
    broken = json.loads(lines[2])
    broken['pose'] = {'x': 'here', 'y': 1.0}
    lines[2] = json.dumps(broken)
    lines[4] = lines[4][:25]
    lines.insert(5, '[1, 2, 3]')
    target = EdgeStore(tmp_path / 'target')
    try:
        target.open_collection(collection_info(embedder))
        report = import_records(lines, target, embedder)
        assert [n for n, _ in report.damaged] == [3, 5, 6]
        assert 'pose.x' in report.damaged[0][1]
        assert 'not valid JSON' in report.damaged[1][1]
        assert report.stored == 3 and target.count() == 3
        assert 'line 5: not valid JSON' in report.summary()
    finally:
        target.close()


def run_tool(name, *args):
    env = {k: v for k, v in os.environ.items() if k != '_ROS_WHEELS_BOOTSTRAP_COMPLETE'}
    return subprocess.run([sys.executable, '-m', f'shadowhound_memory.cli.{name}', *args],
                          capture_output=True, text=True, timeout=600, env=env)


def test_the_command_line_tools_move_a_mission_between_stores(tmp_path, embedder):
    store = EdgeStore(tmp_path / 'robot1')
    service = MemoryService(store, embedder)
    for mission, text, dt in SIGHTINGS:
        service.write_text(text, mission, T0 + dt)
    store.close()
    out = tmp_path / 'm2.jsonl'
    done = run_tool('memory_export', '--store-path', str(tmp_path / 'robot1'), '--mission', 'm2',
                    '--vectors', '-o', str(out))
    assert done.returncode == 0, done.stderr
    assert 'memory_export: 2 memories' in done.stderr
    with open(out, 'a') as handle:
        handle.write('{"not": "a record"}\n')
    args = [str(out), '--store-path', str(tmp_path / 'robot2')]
    done = run_tool('memory_import', *args)
    assert done.returncode == 2, done.stderr
    assert '3 records read' not in done.stdout and '2 stored' in done.stdout
    assert 'line 4:' in done.stdout
    done = run_tool('memory_import', *args)
    assert '0 stored' in done.stdout and '2 already present' in done.stdout
    missing = run_tool('memory_export', '--store-path', str(tmp_path / 'nowhere'))
    assert missing.returncode == 1 and 'there is no memory store' in missing.stderr
