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

"""Core rules behind the node's edge-input handling, without ROS: each pinned on its own."""

import math
import threading

import pytest
from shadowhound_memory.domain.errors import InvalidRequestError, SchemaError
from shadowhound_memory.domain.records import json_depth_exceeds, parse_record
from shadowhound_memory.memory.admission import Admission
from shadowhound_memory.memory.ingest import SequenceGaps
from shadowhound_memory.memory.requests import RequestLedger
from shadowhound_memory.pose.inputs import yaw_from_quaternion as planar_yaw


def test_nesting_depth_is_measured_outside_strings():
    assert not json_depth_exceeds('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[["}', 2)
    assert json_depth_exceeds('[' * 5 + ']' * 5, 4)
    assert not json_depth_exceeds('{"a": {"b": "\\"{{{{"}}', 2)


def test_deep_json_is_a_schema_error_not_a_recursion_error():
    with pytest.raises(SchemaError, match='nests deeper'):
        parse_record('[' * 100_000 + ']' * 100_000)


@pytest.mark.parametrize('scale', [0.001, 1.0, 3.0, 1000.0])
def test_heading_is_the_same_at_any_quaternion_length(scale):
    yaw = 2.5
    assert planar_yaw(0.0, 0.0, scale * math.sin(yaw / 2), scale * math.cos(yaw / 2)) == \
        pytest.approx(yaw, abs=1e-12)


@pytest.mark.parametrize('q', [(0.0, 0.0, 0.0, 0.0), (0.0, 0.0, float('nan'), 1.0)])
def test_a_quaternion_without_length_is_refused(q):
    with pytest.raises(InvalidRequestError, match='quaternion'):
        planar_yaw(*q)


def test_sequence_gaps_count_losses_per_sender_and_restarts():
    gaps = SequenceGaps()
    for seq in (1, 2, 5, 6):
        gaps.see('camera', seq)
    gaps.see('lidar', 10)
    gaps.see('lidar', 12)
    gaps.see('camera', 1)
    gaps.see('camera', 0)
    assert gaps.lost == 3


def test_the_ledger_runs_a_request_id_once_even_when_retried_concurrently():
    ledger: RequestLedger[int] = RequestLedger()
    started, release, runs = threading.Event(), threading.Event(), []

    def work():
        runs.append(1)
        started.set()
        release.wait(10)
        return 7
    first = threading.Thread(target=lambda: ledger.run('req-1', work))
    first.start()
    assert started.wait(10)
    results = []
    retry = threading.Thread(target=lambda: results.append(ledger.run('req-1', work)))
    retry.start()
    release.set()
    first.join(10)
    retry.join(10)
    assert results == [(7, True)] and len(runs) == 1
    assert ledger.run('', lambda: 8) == (8, False)
    with pytest.raises(InvalidRequestError):
        ledger.run('no spaces allowed', lambda: 9)


def test_a_failed_attempt_is_not_remembered():
    ledger: RequestLedger[int] = RequestLedger()

    def fail():
        raise InvalidRequestError('store away')
    with pytest.raises(InvalidRequestError):
        ledger.run('r', fail)
    assert ledger.run('r', lambda: 3) == (3, False)


def test_admission_refuses_beyond_its_limit_with_the_count_waiting():
    admission = Admission(2)
    assert admission.try_enter() is None and admission.try_enter() is None
    refusal = admission.try_enter()
    assert refusal is not None and refusal.startswith('busy: 2 requests waiting')
    admission.leave()
    assert admission.try_enter() is None
    assert (admission.admitted, admission.refused) == (3, 1)
