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

"""`make demo`'s mission, run as the README's main command runs it, end to end over DDS."""

import os
import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def test_the_demo_mission_plays_and_answers_with_poses_and_citations(tmp_path):
    bag, png = tmp_path / 'mission-bag', tmp_path / 'mission.png'
    result = subprocess.run(
        [sys.executable, '-m', 'shadowhound_memory.demo.mission', '--speed', '6',
         '--store-path', str(tmp_path / 'store'), '--record-bag', str(bag), '--map-png',
         str(png)],
        capture_output=True, text=True, timeout=300)
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert 'cold start' in output
    red_ball = output.split('Q: Where did we see the red ball?')[1].split('Q:')[0]
    first_memory = red_ball.strip().splitlines()[0]
    assert 'red ball' in first_memory and 'pose unknown' not in first_memory
    assert 'cites ' in red_ball and 'cites nothing' not in red_ball
    kitchen = output.split("[tags_any=['room:kitchen']]")[1].split('Q:')[0]
    assert 'I have no memory' not in kitchen
    assert 'summary:' in output and 'repeat sightings merged' in output

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
