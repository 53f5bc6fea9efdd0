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
The LLM memory writer: observation -> record through the writing route, never an invalid record.

Each observation is first checked by the deterministic writer, whose record is kept as the
fallback. Then the route's model writes a draft under constrained decoding (when the route has
it); the draft is validated by the record schema; an invalid or truncated draft gets one repair
attempt that shows the model its errors; after that, and whenever no server answers, the
deterministic record is stored. Every outcome is counted, with the tokens spent.
"""

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
import threading
from typing import Any

from shadowhound_memory.domain.errors import (BackendUnavailableError, InvalidRequestError,
                                              SchemaError)
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.llm.client import Completion
from shadowhound_memory.llm.prompts import (draft_json_schema, parse_json_object,
                                            record_from_draft, response_format,
                                            writing_input, writing_messages)
from shadowhound_memory.llm.routing import LlmRouter, Route, Task
from shadowhound_memory.memory.writer import DeterministicWriter, WrittenRecord
from shadowhound_memory.pose.buffer import PoseEstimate

TASK: Task = 'memory-writing'


class WritingStats:
    """
    Counts of every LLM writing outcome; thread-safe (ingest and services write at once).

    ``attempts`` counts model replies; ``schema_valid`` those that made a valid record, first
    time or after ``repaired``; ``fell_back`` the observations stored by the deterministic
    writer instead, by reason.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.fallback_reasons: Counter[str] = Counter()

    def add(self, **counts: int) -> None:
        """Add to named counters."""
        with self._lock:
            self.counts.update(counts)

    def fallback(self, reason: str) -> None:
        """Count one observation written by the deterministic writer instead, and why."""
        with self._lock:
            self.counts['fell_back'] += 1
            self.fallback_reasons[reason] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counters, rates and tokens per memory as a plain dict."""
        with self._lock:
            counts = dict(self.counts)
            reasons = dict(self.fallback_reasons)
        replies = counts.get('attempts', 0)
        llm_records = counts.get('schema_valid', 0)
        result: dict[str, Any] = {key: counts.get(key, 0) for key in (
            'attempts', 'parsed', 'schema_valid', 'repaired', 'truncated', 'fell_back',
            'completion_tokens', 'prompt_tokens')}
        result['json_validity'] = llm_records / replies if replies else None
        result['tokens_per_memory'] = (counts.get('completion_tokens', 0) / llm_records
                                       if llm_records else None)
        result['fallback_reasons'] = reasons
        return result


class LlmWriter:
    """Writes records through the LLM writing route, with the deterministic writer behind it."""

    def __init__(self, router: LlmRouter, fallback: DeterministicWriter | None = None,
                 max_tokens: int = 160, concurrency: int = 4) -> None:
        self.router = router
        self.fallback = fallback or DeterministicWriter()
        self.max_tokens = max_tokens
        self.stats = WritingStats()
        # vLLM batches concurrent requests: a batch of observations costs about one request.
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency),
                                        thread_name_prefix='llm-writer')

    def write(self, observation: Observation, pose: PoseEstimate,
              context: MissionContext) -> MemoryRecord:
        """Return the record; raise InvalidRequestError for an unusable observation."""
        return self.write_noted(observation, pose, context).record

    def write_many(self, items: Sequence[tuple[Observation, PoseEstimate, MissionContext]]
                   ) -> list[WrittenRecord | InvalidRequestError]:
        """Write a batch concurrently; an unusable item yields its error, in place."""
        def one(item: tuple[Observation, PoseEstimate, MissionContext]
                ) -> WrittenRecord | InvalidRequestError:
            try:
                return self.write_noted(*item)
            except InvalidRequestError as exc:
                return exc
        return list(self._pool.map(one, items))

    def write_noted(self, observation: Observation, pose: PoseEstimate,
                    context: MissionContext) -> WrittenRecord:
        """Return the record with the route it took and, for a fallback, the reason."""
        fallback = self.fallback.write(observation, pose, context)
        for _ in range(2):
            route = self.router.route_for_request(TASK)
            if route is None:
                return self._fell_back(fallback, 'LLM server unreachable')
            try:
                record = self._generate(route, observation, pose, context)
            except BackendUnavailableError as exc:
                self.router.report_failure(route, exc)
                continue
            if record is None:
                return self._fell_back(fallback, 'no valid JSON after one repair')
            self.router.usage.add(TASK, route.label)
            note = f'written by the base model: {route.fallback_reason}' \
                if route.fallback_reason else ''
            return WrittenRecord(record, route.label, note)
        return self._fell_back(fallback, 'LLM server failed')

    def _fell_back(self, record: MemoryRecord, reason: str) -> WrittenRecord:
        self.stats.fallback(reason)
        self.router.usage.add(TASK, 'deterministic')
        return WrittenRecord(record, 'deterministic', f'deterministic writer: {reason}')

    def _complete(self, route: Route, messages: list[dict[str, str]]) -> Completion:
        fmt = response_format('memory_draft', draft_json_schema()) if route.structured else None
        completion = self.router.clients[route.url].chat(
            route.model, messages, self.max_tokens, response_format=fmt)
        self.stats.add(attempts=1, completion_tokens=completion.completion_tokens,
                       prompt_tokens=completion.prompt_tokens,
                       truncated=int(completion.truncated))
        return completion

    def _generate(self, route: Route, observation: Observation, pose: PoseEstimate,
                  context: MissionContext) -> MemoryRecord | None:
        messages = writing_messages(writing_input(observation, pose, context), route.few_shot)
        completion = self._complete(route, messages)
        try:
            return self._accept(completion, observation, pose, context)
        except SchemaError as exc:
            reasons = '; '.join(exc.reasons[:5])
        messages += [
            {'role': 'assistant', 'content': completion.text},
            {'role': 'user', 'content': f'That reply is not a valid memory ({reasons}). Reply '
                                        'with the corrected JSON object only.'}]
        repair = self._complete(route, messages)
        try:
            record = self._accept(repair, observation, pose, context)
        except SchemaError:
            return None
        self.stats.add(repaired=1)
        return record

    def _accept(self, completion: Completion, observation: Observation, pose: PoseEstimate,
                context: MissionContext) -> MemoryRecord:
        if completion.truncated:
            # A cut-off reply may still parse (an array closed early), but it is not what the
            # model meant to write.
            raise SchemaError('the reply was cut off by max_tokens',
                              ['length: cut off by max_tokens; write less'])
        draft = parse_json_object(completion.text)
        self.stats.add(parsed=1)
        record = record_from_draft(draft, observation, pose, context)
        self.stats.add(schema_valid=1)
        return record

    def close(self) -> None:
        """Stop the worker threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
