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

"""The mission map PNG: written, and drawing exactly the path, memories and citations given."""

from matplotlib.image import imread
from shadowhound_memory.domain.records import MemoryRecord, Pose
from shadowhound_memory.viz.mission_map import draw_mission_map, MapMemory, Question


def record(text, x=None, seen=1):
    pose = None if x is None else Pose(x=x, y=x / 2)
    return MemoryRecord(event='note', text=text, pose=pose, mission_id='m1',
                        timestamp=100.0 + (x or 0.0), seen_count=seen)


def test_the_map_draws_the_path_each_memory_and_the_cited_answers(tmp_path):
    records = [record('A red ball under the kitchen table, next to the chair.', 1.0, seen=3),
               record('The charger is in the office.', 4.0),
               record('A blue mug on the shelf.', 6.0),
               record('Someone knocked, nowhere known.')]
    path = [(i * 0.1, i * 0.05) for i in range(80)]
    questions = [Question('Where is the ball?', 'Under the kitchen table.', (records[0].id,)),
                 Question('What did we see?', 'A charger and a mug.',
                          (records[1].id, records[2].id, records[3].id, 'not-a-memory'))]
    png = tmp_path / 'mission.png'
    drawn = draw_mission_map(png, path, [MapMemory.of(r) for r in records], questions)
    assert (drawn.path_points, drawn.memories, drawn.merged, drawn.without_pose) == (80, 3, 1, 1)
    assert drawn.labels[0].startswith('A red ball under') and drawn.labels[0].endswith(' x3')
    assert len(drawn.labels) == 3
    # Citations of memories without a pose or unknown ids draw no line.
    assert (drawn.questions, drawn.citation_lines) == (2, 3)
    image = imread(png)
    assert image.shape[0] > 500 and image.shape[1] > 800


def test_an_empty_mission_still_gives_a_picture(tmp_path):
    drawn = draw_mission_map(tmp_path / 'empty.png', [], [])
    assert (drawn.path_points, drawn.memories) == (0, 0)
    assert (tmp_path / 'empty.png').stat().st_size > 0
