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
A PNG of a mission: the robot's path, where each memory was made, and what the answers cited.

People would rather look than read a list of coordinates. Drawn with matplotlib's Agg backend (no
display needed); the function returns what it drew, so a test can check the picture against the
data without reading pixels.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
import pathlib
import textwrap

import matplotlib
from matplotlib.figure import Figure

from shadowhound_memory.domain.records import MemoryRecord

matplotlib.use('Agg')

LABEL_CHARS = 28
MAX_LABELS = 60


@dataclass(frozen=True)
class MapMemory:
    """A memory as the map draws it; x and y are None when it has no pose."""

    id: str  # noqa: A003 - the record field is called id everywhere
    text: str
    x: float | None
    y: float | None
    seen_count: int = 1
    timestamp: float = 0.0

    @classmethod
    def of(cls, record: MemoryRecord) -> 'MapMemory':
        """Return the map's view of a stored record."""
        pose = record.pose
        return cls(record.id, record.text, pose.x if pose else None, pose.y if pose else None,
                   record.seen_count, record.timestamp)


@dataclass(frozen=True)
class Question:
    """A question asked after the mission, its answer and the memories the answer cites."""

    text: str
    answer: str
    cited_ids: tuple[str, ...] = ()


@dataclass
class MapDrawing:
    """What the map shows, counted: the test's view of the picture."""

    path_points: int = 0
    memories: int = 0
    merged: int = 0
    without_pose: int = 0
    labels: list[str] = field(default_factory=list)
    questions: int = 0
    citation_lines: int = 0

    def summary(self) -> str:
        """Return one line saying what was drawn."""
        return (f'{self.path_points} path points, {self.memories} memories ({self.merged} '
                f'merged sightings, {self.without_pose} without a pose, not drawn), '
                f'{self.questions} questions with {self.citation_lines} citations')


def draw_mission_map(png: str | pathlib.Path, path: Sequence[tuple[float, float]],
                     records: Sequence[MapMemory], questions: Sequence[Question] = (),
                     title: str = '') -> MapDrawing:
    """Draw the mission into ``png`` and return what was drawn."""
    drawing = MapDrawing(questions=len(questions))
    figure = Figure(figsize=(11, 8.5 if questions else 7), dpi=110)
    axes = figure.add_axes((0.07, 0.36, 0.9, 0.58) if questions else (0.07, 0.08, 0.9, 0.86))
    if path:
        xs, ys = zip(*path)
        axes.plot(xs, ys, color='0.7', linewidth=1.2, label='robot path', zorder=1)
        axes.plot(xs[:1], ys[:1], marker='>', color='0.4', markersize=8, linestyle='none',
                  label='start')
        drawing.path_points = len(path)
    placed = {r.id: r for r in records if r.x is not None and r.y is not None}
    drawing.without_pose = len(records) - len(placed)
    single = [r for r in placed.values() if r.seen_count == 1]
    merged = [r for r in placed.values() if r.seen_count > 1]
    for group, marker, color, label in ((single, 'o', 'tab:blue', 'memory'),
                                        (merged, 'D', 'tab:orange', 'merged sightings (xN)')):
        if group:
            axes.scatter([r.x for r in group if r.x is not None],
                         [r.y for r in group if r.y is not None],
                         s=[30 + 12 * min(r.seen_count, 10) for r in group], zorder=3,
                         edgecolors='black', linewidths=0.5, marker=marker, color=color,
                         label=label)
    drawing.memories, drawing.merged = len(placed), len(merged)
    for record in sorted(placed.values(), key=lambda r: r.timestamp)[:MAX_LABELS]:
        label = textwrap.shorten(record.text, LABEL_CHARS, placeholder='...')
        if record.seen_count > 1:
            label += f' x{record.seen_count}'
        axes.annotate(label, (record.x, record.y), xytext=(4, 4),
                      textcoords='offset points', fontsize=6.5, zorder=4)
        drawing.labels.append(label)
    lines = []
    for number, question in enumerate(questions, start=1):
        cited = [placed[i] for i in question.cited_ids if i in placed]
        for record in cited:
            axes.annotate(f'Q{number}', (record.x, record.y), xytext=(-14, -14),
                          textcoords='offset points', fontsize=7, color='tab:red',
                          arrowprops={'arrowstyle': '-', 'color': 'tab:red', 'lw': 0.8},
                          zorder=5)
            drawing.citation_lines += 1
        answer = textwrap.shorten(question.answer, 150, placeholder='...')
        lines.append(f'Q{number}: {question.text}  ->  {answer}  '
                     f'[{len(cited)} cited memories on the map]')
    if lines:
        figure.text(0.07, 0.27, '\n'.join(textwrap.fill(line, 140) for line in lines),
                    fontsize=7.5, va='top', family='monospace')
    axes.set_aspect('equal', adjustable='datalim')
    axes.set_xlabel('x (m, map frame)')
    axes.set_ylabel('y (m)')
    axes.grid(True, linewidth=0.3)
    axes.set_title(title or f'{len(placed)} memories along the robot path')
    if path or placed:
        axes.legend(loc='upper right', fontsize=7)
    figure.savefig(png)
    return drawing
