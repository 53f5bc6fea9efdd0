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
The `make chaos` phases, short, against real node processes over DDS (what CI runs).

Fewer writes and kills, 150 hypothesis cases per target (1050 in all) and a one-minute soak;
`make chaos` runs the long version and writes bench/results/reliability.json. No timing is
asserted: figures are printed (pytest -s) and the assertions are about data and survival.
"""

import json

from backend import run_backend_faults
from diskfull import run_disk_full, unshare_works
from durability import run_kills
from hostile import run_hostile
from llm_faults import run_llm_faults
import pytest
from soak import run_soak

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def show(name, figures):
    print(f'{name}: {json.dumps(figures)}')


def test_sigkill_at_random_points_loses_and_duplicates_no_acknowledged_write(probe, tmp_path):
    figures = run_kills(probe, tmp_path, writes=200, kills=2)
    show('kills', figures)
    assert figures['kills'] == 2 and figures['acked_writes'] == 200
    assert (figures['lost_writes'], figures['duplicate_writes'], figures['damaged_records'],
            figures['unexpected_records']) == (0, 0, 0, 0)
    assert figures['node_crashes'] == 0


def test_hostile_input_is_answered_or_normalized_and_never_kills_the_node(probe, tmp_path):
    figures = run_hostile(probe, tmp_path, examples=150)
    show('hostile', figures)
    assert figures['hostile_cases'] >= 1000
    assert figures['problems'] == []
    assert figures['invalid_stored_records'] == 0
    assert figures['node_crashes'] == 0 and figures['exit_code_after_sigint'] == 0


def test_an_unreachable_qdrant_server_keeps_acknowledged_writes_in_the_outbox(probe, tmp_path):
    figures = run_backend_faults(probe, tmp_path, writes_per_fault=5)
    show('backend_faults', figures)
    assert figures['acked_writes'] == 20 and figures['refusals'] == {}
    assert figures['outbox_after_node_sigkill'] == 5
    assert (figures['lost_writes'], figures['duplicate_writes'],
            figures['outbox_duplicates']) == (0, 0, 0)
    assert figures['outbox_pending_after_replay'] == 0
    assert figures['requests_the_503_stand_in_saw'] >= 1
    for message in figures['recall_while_away'].values():
        assert message.startswith('success=False') and 'Qdrant server' in message
    assert figures['node_alive_through_faults'] and figures['node_crashes'] == 0


def test_a_nearly_full_disk_refuses_writes_with_the_reason_and_damages_nothing(tmp_path):
    reason = unshare_works()
    if reason is not None:
        pytest.skip(f'no size-limited file system can be mounted here: {reason}')
    figures = run_disk_full(tmp_path, baseline=50, headroom_mb=1.5)
    show('disk_full', figures)
    assert figures['acked_until_refused'] > 0 and figures['refused_writes'] >= 20
    assert all('store_min_free_mb' in m for m in figures['refusal_messages'])
    assert figures['node_alive_when_full'] and figures['recall_ok_when_full']
    assert figures['writes_ok_after_space_freed'] == 20
    assert figures['start_below_reserve_refused_with_reason']
    assert (figures['lost_or_damaged_writes'], figures['refused_but_stored']) == (0, 0)
    assert figures['node_crashes'] == 0


def test_a_one_minute_soak_serves_every_load_without_crash_or_drop(probe, tmp_path):
    figures = run_soak(probe, tmp_path, minutes=1.0)
    show('soak', {k: v for k, v in figures.items() if k != 'per_minute'})
    assert figures['node_crashes'] == 0 and figures['exit_code_after_sigint'] == 0
    assert figures['recalls_answered'] > 0 and figures['recall_failures'] == 0
    assert figures['drops'] == 0 and figures['observations_failed'] == 0
    assert figures['observations_written'] == figures['observations_received'] > 0


def test_llm_server_faults_keep_writes_and_answers_flowing_with_their_reasons(probe, tmp_path):
    figures = run_llm_faults(probe, tmp_path, writes_per_stage=2)
    show('llm_faults', figures)
    stages = figures['stages']
    assert stages['healthy']['write_routes'] == {'adapter': 2}
    assert stages['writing adapter unloaded']['write_routes'] == {'base': 2}
    assert stages['vLLM killed']['write_routes'] == {'deterministic': 2}
    assert 'retrieval-only' in stages['vLLM killed']['recall']
    assert all(stage['recall'].startswith('success=True') for stage in stages.values())
    # Once the node has found the restarted server and loaded the adapter back, writes use it;
    # a request that still fails against the warming server falls back (never refused).
    assert figures['adapter_route_back_after_restart_s'] >= 0
    restarted = stages['vLLM restarted without adapters']['write_routes']
    assert restarted.get('adapter', 0) >= 1 and set(restarted) <= {'adapter', 'deterministic'}
    assert figures['refused_writes'] == {}
    assert (figures['lost_writes'], figures['duplicate_writes']) == (0, 0)
    assert figures['node_crashes'] == 0 and figures['exit_code_after_sigint'] == 0
