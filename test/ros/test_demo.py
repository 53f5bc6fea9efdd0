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
`make demo`'s mission, run as the README's main command runs it, end to end over DDS.

The demo's mission is synthetic, so its truth is known: which thing each observation saw, in
which room, and where odometry put the robot when it saw it. Every stored memory and every
memory an answer shows or cites is checked against that truth.
"""

import os
import re
import statistics
import subprocess
import sys

import pytest
from shadowhound_memory.store.base import MemoryFilter
from shadowhound_memory.store.edge import EdgeStore, INFO_FILE
from shadowhound_memory.store.payload import read_info
from shadowhound_memory.synthetic.world import make_mission

pytestmark = [pytest.mark.ros, pytest.mark.slow]

SEED = 0
_ID = re.compile(r'\[([0-9a-f]{8})\]$')


def _records(path):
    store = EdgeStore(path, min_free_bytes=0)
    store.open_collection(read_info(os.path.join(path, INFO_FILE)))
    try:
        return store.scroll(MemoryFilter(), limit=None)
    finally:
        store.close()


def _answer(output, question):
    """Return (ids of the memories shown, ids cited) of the answer to question."""
    block = output.split(f'Q: {question}')[1].split('\nQ:')[0].split('\nsummary:')[0]
    shown = [m.group(1) for line in block.splitlines() if (m := _ID.search(line.strip()))]
    cites = re.search(r'cites (.*?);', block).group(1)
    return shown, [] if cites == 'nothing' else cites.split(', ')


def test_the_demo_mission_plays_and_answers_with_poses_and_citations(tmp_path):
    bag, png, store = tmp_path / 'mission-bag', tmp_path / 'mission.png', tmp_path / 'store'
    result = subprocess.run(
        [sys.executable, '-m', 'shadowhound_memory.demo.mission', '--speed', '6',
         '--seed', str(SEED), '--store-path', str(store), '--record-bag', str(bag),
         '--map-png', str(png)],
        capture_output=True, text=True, timeout=300)
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert 'cold start' in output and 'repeat sightings merged' in output

    mission = make_mission(seed=SEED)
    seen_as: dict[str, list] = {}
    for obs in mission.observations:
        seen_as.setdefault(obs.text, []).append(obs)
    records = _records(str(store))
    assert len(records) == len({(o.object_key, o.visit) for o in mission.observations})
    # The same sentence can be reported on two visits: the mission's start in the store's clock
    # (from the sentences said once) tells which observation a memory is.
    start = statistics.median(r.timestamp - seen_as[r.text][0].t for r in records
                              if len(seen_as[r.text]) == 1)
    # Every memory is an observation of the mission, stamped where odometry had the robot then.
    truth = {}
    offsets = []
    for record in records:
        obs = min(seen_as[record.text], key=lambda o: abs(record.timestamp - start - o.t))
        truth[record.id[:8]] = obs
        offsets.append(record.timestamp - obs.t)
        x, y, yaw = mission.odometry_at(obs.t)
        assert record.pose is not None, record.text
        assert (record.pose.x, record.pose.y, record.pose.yaw) == (
            pytest.approx(x, abs=1e-3), pytest.approx(y, abs=1e-3),
            pytest.approx(yaw, abs=1e-3)), record.text
        assert f'room:{obs.room}' in record.tags
    # One mission start for all of them: no memory took the time (or pose) of another.
    assert max(offsets) - min(offsets) < 1e-3

    shown, cited = _answer(output, 'Where did we see the red ball?')
    assert truth[shown[0]].object_key == 'red_ball'
    # A retrieval-only answer cites the closest memories: the first is the red ball's.
    assert cited and truth[cited[0]].object_key == 'red_ball'
    shown, cited = _answer(output, "What was in the kitchen?   [tags_any=['room:kitchen']]")
    assert shown and all(truth[s].room == 'kitchen' for s in shown)
    assert cited and set(cited) <= set(shown)
    shown, _ = _answer(output, 'What did we see in the last minute?   [within_last_s=60.0]')
    assert shown and all(truth[s].t >= mission.duration_s - 60.0 for s in shown)

    # The recorded mission gives the same memories through ingest_bag (with the pose bounds the
    # demo widens for its 6x playback), and the map shows what the node wrote.
    summary = r'summary: (\d+) observations sent, (\d+) memories written, (\d+) repeat'
    sent, written, merged = map(int, re.search(summary, output).groups())
    assert f'map: {png} (' in output and f' {written} memories (' in output
    assert png.stat().st_size > 20_000
    env = {k: v for k, v in os.environ.items() if k != '_ROS_WHEELS_BOOTSTRAP_COMPLETE'}
    ingested = subprocess.run(
        [sys.executable, '-m', 'shadowhound_memory.cli.ingest_bag', str(bag), '--store-path',
         str(tmp_path / 'from-bag'), '-p', 'pose_max_gap_s:=3.0', '-p', 'pose_wait_s:=1.8',
         '--no-progress'], capture_output=True, text=True, timeout=300, env=env)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert f'{sent} observations and ' in ingested.stdout
    assert f'{written} memories stored, {merged} merged into earlier ones, 0 skipped' \
        in ingested.stdout
