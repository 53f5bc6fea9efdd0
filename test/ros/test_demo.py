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

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def test_the_demo_mission_plays_and_answers_with_poses_and_citations(tmp_path):
    result = subprocess.run(
        [sys.executable, '-m', 'shadowhound_memory.demo.mission', '--speed', '6',
         '--store-path', str(tmp_path / 'store')],
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
