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
The LLM query planner: a question -> a plan through the recall route, never an invalid plan.

The recall route's model (the recall adapter, or the base model with worked examples) writes a
plan draft under the draft's JSON Schema, whose tags are an enum of the store's vocabulary; the
draft is validated and resolved against now, the vocabulary and the robot pose. When the model
is away, times out, is cut off or writes something invalid, the rule planner plans instead and
the plan's notes say why.
"""

from collections import Counter
import threading
from typing import Any

from pydantic import ValidationError

from shadowhound_memory.domain.errors import (BackendUnavailableError, InvalidRequestError,
                                              SchemaError)
from shadowhound_memory.llm.prompts import (parse_json_object, planning_input,
                                            planning_messages, response_format)
from shadowhound_memory.llm.routing import LlmRouter, Task
from shadowhound_memory.retrieval.planning import (describe_vocabulary, FALLBACK_NOTE_PREFIX,
                                                   plan_from_draft, plan_json_schema, QueryPlan,
                                                   QueryPlanner, RulePlanner, Vocabulary)

TASK: Task = 'recall'
# A plan is a few dozen tokens; the bound keeps a rambling model from holding a recall long.
PLAN_MAX_TOKENS = 160


class LlmPlanner:
    """Plans through the recall route, with a deterministic planner behind it."""

    name = 'llm'

    def __init__(self, router: LlmRouter, fallback: QueryPlanner | None = None,
                 max_tokens: int = PLAN_MAX_TOKENS, timeout_s: float = 10.0) -> None:
        if timeout_s <= 0:
            raise InvalidRequestError(f'planner timeout must be positive, got {timeout_s}')
        self.router = router
        self.fallback = fallback or RulePlanner()
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def snapshot(self) -> dict[str, Any]:
        """Return the planning counters (plans, fallbacks by reason) for diagnostics."""
        with self._lock:
            return dict(self.counts)

    def plan(self, question: str, now: float, vocabulary: Vocabulary,
             robot_pose: tuple[float, float] | None = None) -> QueryPlan:
        """Return the model's plan, or the fallback planner's with the reason in its notes."""
        reason = 'no LLM server reachable for the recall route'
        for _ in range(2):
            route = self.router.route(TASK)
            if route is None:
                break
            tags = sorted(t for t in vocabulary.tags
                          if t.startswith(('object:', 'person:', 'room:')))
            fmt = (response_format('query_plan', plan_json_schema(tags))
                   if route.structured else None)
            text = planning_input(question, now, describe_vocabulary(vocabulary), robot_pose,
                                  vocabulary.start)
            try:
                completion = self.router.clients[route.url].chat(
                    route.model, planning_messages(text, route.few_shot), self.max_tokens,
                    response_format=fmt, timeout_s=self.timeout_s)
            except BackendUnavailableError as exc:
                self.router.report_failure(route, exc)
                reason = f'LLM failed: {exc}'
                continue
            except InvalidRequestError as exc:
                reason = f'LLM refused the request: {exc}'
                break
            self.router.usage.add('planning', route.label)
            if completion.truncated:
                reason = f'the plan was cut off at {self.max_tokens} tokens'
                break
            try:
                plan = plan_from_draft(parse_json_object(completion.text), now, vocabulary,
                                       robot_pose, planner=f'llm/{route.label}'[:32])
            except (SchemaError, ValidationError, ValueError, TypeError) as exc:
                reason = f'the model wrote an invalid plan: {str(exc)[:100]}'
                break
            self._count(planned=1)
            if route.fallback_reason:
                plan.notes.insert(0, f'planned by the base model: {route.fallback_reason}'[:160])
                plan.notes = plan.notes[:8]
            return plan
        return self._fell_back(question, now, vocabulary, robot_pose, reason)

    def _fell_back(self, question: str, now: float, vocabulary: Vocabulary,
                   robot_pose: tuple[float, float] | None, reason: str) -> QueryPlan:
        self._count(fell_back=1)
        self.router.usage.add('planning', 'rules')
        plan = self.fallback.plan(question, now, vocabulary, robot_pose)
        plan.notes = [f'{FALLBACK_NOTE_PREFIX}: {reason}'[:160], *plan.notes][:8]
        return plan

    def _count(self, **counts: int) -> None:
        with self._lock:
            self.counts.update(counts)
