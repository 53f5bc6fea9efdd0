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
Recall synthesis: a question and the retrieved memories -> a short answer that cites them.

Only what retrieval found is shown, within the token budget, as quoted JSON data blocks; the
answer may cite only those, and citations of anything else are removed and counted. An answer
left without a valid citation is not grounded in a memory, so it is withheld and the
retrieval-only answer is given instead. With nothing retrieved there is no model call: the
answer says there is no such memory rather than inventing one.
"""

from collections import Counter
from collections.abc import Sequence
import threading
from typing import Any

from shadowhound_memory.domain.errors import BackendUnavailableError, SchemaError
from shadowhound_memory.llm.prompts import (answer_json_schema, memory_doc, NO_ANSWER,
                                            parse_json_object, recall_block, recall_messages,
                                            response_format)
from shadowhound_memory.llm.routing import LlmRouter, Task
from shadowhound_memory.memory.recall import Synthesis
from shadowhound_memory.retrieval.answer import NO_MEMORY_ANSWER, retrieval_only_answer
from shadowhound_memory.retrieval.context import ContextBuilder, TokenCache, TokenCounter
from shadowhound_memory.store.base import ScoredRecord

TASK: Task = 'recall'


class RecallSynthesizer:
    """Answers questions from retrieved memories through the recall route."""

    def __init__(self, router: LlmRouter, token_budget: int = 1024,
                 count_tokens: TokenCounter | None = None, max_tokens: int = 200) -> None:
        self.router = router
        self.token_budget = token_budget
        self.count_tokens = count_tokens
        self.token_cache = TokenCache(count_tokens)
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def _count(self, **counts: int) -> None:
        with self._lock:
            self.counts.update(counts)

    def snapshot(self) -> dict[str, Any]:
        """Return the answer counters for diagnostics."""
        with self._lock:
            return dict(self.counts)

    def answer(self, question: str, hits: Sequence[ScoredRecord], now: float) -> Synthesis:
        """Return the synthesized answer, or the retrieval-only one with the reason."""
        if not hits:
            self._count(no_memory=1)
            return Synthesis(NO_MEMORY_ANSWER, [], 'none', note='no memory matched')
        context = ContextBuilder(self.token_budget, self.token_cache.count_tokens,
                                 self.token_cache).build(hits, render=recall_block)
        by_id = {h.record.id: h for h in hits}
        refs = {f'm{i}': record_id for i, record_id in enumerate(context.used_ids, 1)}
        docs = [memory_doc(by_id[record_id], i) for i, record_id in
                enumerate(context.used_ids, 1)]
        for _ in range(2):
            route = self.router.route_for_request(TASK)
            if route is None:
                break
            fmt = (response_format('recall_answer', answer_json_schema(list(refs)))
                   if route.structured else None)
            try:
                completion = self.router.clients[route.url].chat(
                    route.model, recall_messages(question, docs, route.few_shot),
                    self.max_tokens, response_format=fmt)
            except BackendUnavailableError as exc:
                self.router.report_failure(route, exc)
                continue
            self.router.usage.add(TASK, route.label)
            result = self._read(completion.text, refs, hits, now, route.label)
            result.context_tokens = context.tokens_used
            result.completion_tokens = completion.completion_tokens
            if completion.truncated:
                self._count(truncated=1)
            if route.fallback_reason:
                result.note = '; '.join(filter(None, [
                    f'answered by the base model: {route.fallback_reason}', result.note]))
            return result
        self.router.usage.add(TASK, 'retrieval-only')
        self._count(fell_back=1)
        answer, cited = retrieval_only_answer(hits, now)
        return Synthesis(answer, cited, 'none', context.tokens_used,
                         'LLM server unreachable: retrieval-only answer')

    def _read(self, text: str, refs: dict[str, str], hits: Sequence[ScoredRecord],
              now: float, route: str) -> Synthesis:
        try:
            data = parse_json_object(text)
            answer = data.get('answer')
            citations = data.get('citations', [])
            if not isinstance(answer, str) or not answer.strip() or \
                    not isinstance(citations, list):
                raise SchemaError('the answer needs a text and a list of citations')
        except SchemaError as exc:
            self._count(unusable=1)
            fallback, cited = retrieval_only_answer(hits, now)
            return Synthesis(fallback, cited, route,
                             note=f'the model answer was unusable ({exc}): retrieval-only answer')
        cited_ids: list[str] = []
        removed: list[str] = []
        for item in citations:
            ref = str(item)
            record_id = refs.get(ref) or (ref if ref in refs.values() else None)
            if record_id is None:
                removed.append(ref[:40])
            elif record_id not in cited_ids:
                cited_ids.append(record_id)
        self._count(answers=1, removed_citations=len(removed))
        answer = ' '.join(answer.split())
        if answer.rstrip('.') == NO_ANSWER.rstrip('.'):
            self._count(said_no_memory=1)
            return Synthesis(NO_ANSWER, [], route, note='the model found no memory answering '
                             'the question', removed_citations=removed)
        if not cited_ids:
            # Nothing checkable backs the answer: a robot must not act on an invented fact.
            self._count(withheld=1)
            fallback, cited = retrieval_only_answer(hits, now)
            return Synthesis(fallback, cited, route, note='the model cited no retrieved memory: '
                             'answer withheld, retrieval-only answer given',
                             removed_citations=removed)
        note = f'removed {len(removed)} citations of memories not retrieved' if removed else ''
        return Synthesis(answer, cited_ids, route, note=note, removed_citations=removed)
