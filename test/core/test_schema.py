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

"""The memory record schema: the design's record, strict errors, JSON Schema, validity counts."""

import json
import math

import pytest
from shadowhound_memory.domain.errors import SchemaError
from shadowhound_memory.domain.records import (MAX_TAGS, MAX_TEXT_CHARS, MemoryRecord,
                                               normalize_yaw, parse_record, record_json_schema,
                                               ValidityCounter)

DESIGN_RECORD = ('{"event":"object_seen","text":"Red ball on table.","pose":{"x":1.2,"y":3.5,'
                 '"yaw":1.57},"tags":["object:red_ball","room:living_room"],'
                 '"mission_id":"m-2025-10-15-1","timestamp":1697370000.1}')


def test_the_design_record_parses_and_gets_id_version_and_defaults():
    record = parse_record(DESIGN_RECORD)
    assert record.event == 'object_seen' and record.pose.yaw == 1.57
    assert record.schema_version == 1 and len(record.id) == 36
    assert record.last_seen == record.timestamp and record.seen_count == 1
    assert parse_record(record.model_dump_json()) == record


def test_every_violation_is_reported_with_its_field():
    bad = {'event': 'Object Seen', 'text': '', 'mission_id': 'has space',
           'timestamp': -1, 'tags': ['Bad Tag'], 'pose': {'x': math.inf, 'y': 0},
           'confidence': 2, 'unknown': 1}
    with pytest.raises(SchemaError) as error:
        parse_record(bad)
    fields = {reason.split(':')[0] for reason in error.value.reasons}
    assert {'event', 'text', 'mission_id', 'timestamp', 'tags', 'pose.x', 'confidence',
            'unknown'} <= fields


@pytest.mark.parametrize('data', ['{not json', '[1, 2]', b'\xff\xfe', '"text"'])
def test_non_objects_and_broken_json_are_refused(data):
    with pytest.raises(SchemaError):
        parse_record(data)


def test_yaw_is_wrapped_and_tags_deduplicated():
    record = parse_record({'event': 'note', 'text': 'x', 'mission_id': 'm', 'timestamp': 1.0,
                           'pose': {'x': 0, 'y': 0, 'yaw': 3 * math.pi},
                           'tags': ['a:b', 'A:B ']})
    assert record.pose.yaw == pytest.approx(math.pi) and record.tags == ['a:b']
    assert normalize_yaw(-math.pi) == math.pi


def test_the_exported_json_schema_bounds_every_string_and_list():
    schema = record_json_schema()
    json.dumps(schema)
    properties = schema['properties']
    assert set(schema['required']) == {'event', 'text', 'mission_id', 'timestamp'}
    assert properties['text']['maxLength'] == MAX_TEXT_CHARS
    assert properties['tags']['maxItems'] == MAX_TAGS
    assert schema['additionalProperties'] is False
    assert 'pattern' in properties['event'] and 'pattern' in properties['mission_id']


def test_validity_counter_counts_parsed_valid_and_rejected_with_reasons():
    counter = ValidityCounter()
    counter.check(DESIGN_RECORD)
    for bad in ('{oops', '{"event": "note"}', '{"event": "X", "text": "t", "mission_id": "m", '
                                              '"timestamp": 1}'):
        with pytest.raises(SchemaError):
            counter.check(bad)
    snapshot = counter.snapshot()
    assert snapshot['attempts'] == 4 and snapshot['schema_valid'] == 1
    assert snapshot['parsed'] == 3 and snapshot['rejected'] == 3
    assert snapshot['reasons']['json'] == 1 and snapshot['reasons']['event'] == 1
    assert counter.validity_rate == 0.25


def test_records_are_compact():
    record = MemoryRecord.model_validate_json(DESIGN_RECORD)
    assert len(record.model_dump_json()) < 400
