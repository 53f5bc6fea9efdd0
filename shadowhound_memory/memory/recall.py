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
The recall decision: retrieve, then answer with the synthesizer or from retrieval alone.

It lives in the memory layer so the node, the demo, the benchmarks and the evaluation give the
same answer to the same question. The synthesizer is injected through the small protocol below,
which the LLM layer implements: the memory layer never imports the LLM layer.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shadowhound_memory.retrieval.planning import FALLBACK_NOTE_PREFIX, QueryPlan
from shadowhound_memory.retrieval.tracks import Track
from shadowhound_memory.store.base import ScoredRecord

NO_SYNTHESIZER_NOTE = ('synthesis needs the LLM recall route, which is not configured (llm_url): '
                       'retrieval-only answer')


@dataclass
class Synthesis:
    """An answer, the memory ids it cites, the route that wrote it and what was dropped."""

    answer: str
    cited_ids: list[str]
    route: str
    context_tokens: int = 0
    note: str = ''
    removed_citations: list[str] = field(default_factory=list)
    completion_tokens: int = 0


class AnswerSynthesizer(Protocol):
    """Writes an answer from retrieved memories (the LLM layer's recall synthesizer)."""

    def answer(self, question: str, hits: Sequence[ScoredRecord], now: float) -> Synthesis:
        """Return the answer; fall back to the retrieval-only answer with the reason."""


@dataclass
class RecallAnswer:
    """
    What one recall answers: the ranked memories, the answer, its citations and how it was made.

    ``route`` is the LLM route that wrote the answer, or 'none' for a retrieval-only answer;
    ``note`` says why an answer is not the one asked for (no synthesizer, model fell back);
    ``plan`` is the query plan the recall searched with and ``tracks`` the sightings of the
    things it asks where, when or how often about.
    """

    hits: list[ScoredRecord]
    answer: str
    cited_ids: list[str]
    context_tokens: int
    route: str = 'none'
    note: str = ''
    timings: dict[str, float] = field(default_factory=dict)
    plan: QueryPlan | None = None
    tracks: list[Track] = field(default_factory=list)

    def message(self) -> str:
        """Return the one-line summary a Recall response carries, planner fallback included."""
        parts = [f'{len(self.hits)} memories found']
        if self.plan is not None and self.plan.notes and \
                self.plan.notes[0].startswith(FALLBACK_NOTE_PREFIX):
            parts.append(self.plan.notes[0])
        if self.note:
            parts.append(self.note)
        return '; '.join(parts)
