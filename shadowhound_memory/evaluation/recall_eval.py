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
The recall evaluation: held-out missions through the memory service, arm by arm.

Each mission is written as the node writes it (``MemoryService.write_observations`` with the
odometry pose and the room, into Qdrant Edge on disk, embedded by MiniLM), once; the arms then
ask every question of that store, differing only in how a recall searches:

- ``dense``: the literal question, MiniLM cosine (the behaviour before query planning);
- ``hybrid``: the literal question, MiniLM fused with BM25;
- ``hybrid+rules``: the deterministic planner's plan, hybrid search;
- ``hybrid+llm-base`` / ``hybrid+llm-adapter``: the LLM planner (base model, or the recall
  adapter) through a vLLM server, hybrid search.

Metrics (per arm, and per category for success):
- ``success_at_k``: a gold memory is among the first k memories returned. For ``multi_hop``
  (two memories needed) k >= 5 needs a gold memory of each hop; at k = 1 one of either counts.
  Unanswerable questions have no gold memory and are left out of success.
- ``answer_correct``: the answer states the gold fact and cites it. Answerable: the answer's
  first citation is a gold memory, and, where the question has answer keys (a room or landmark
  for where questions, names for who questions), one of them appears in the answer's words;
  counting also needs the gold number in the answer. Unanswerable: the answer says there is no
  such memory. Every arm is scored on the same deterministic answer (the retrieval-only answer,
  or a track's latest sighting where the plan asks where/when about a tagged thing), so the
  figure measures what retrieval and planning put in front of the answer, not a model's prose.
- ``unanswerable_refused``: the share of unanswerable questions answered "no such memory".
"""

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
import json
import os
import pathlib
import random
import statistics
import sys
import tempfile
import time
from typing import Any

from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.evaluation.recall_missions import (CATEGORIES, EvalMission, EvalQuestion,
                                                           make_missions)
from shadowhound_memory.evaluation.recall_report import write_report
from shadowhound_memory.memory.service import MemoryService
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.retrieval.answer import (describe_age, NO_MEMORY_ANSWER,
                                                 retrieval_only_answer)
from shadowhound_memory.retrieval.planning import NoPlanner, QueryPlanner, RulePlanner
from shadowhound_memory.retrieval.retriever import RecallQuery
from shadowhound_memory.store.edge import EdgeStore

ARMS = ('dense', 'hybrid', 'hybrid+rules', 'hybrid+llm-base', 'hybrid+llm-adapter')
# Measured beside the arms to choose the fusion; reported in the details, not in recall.json.
VARIANTS = ('hybrid-dbsf',)
K = 10
WRITE_BATCH = 32
BOOTSTRAP = 1000
NUMBER_WORDS = ('zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine',
                'ten', 'eleven', 'twelve')


@dataclass
class Outcome:
    """What one arm returned for one question."""

    qid: str
    category: str
    ranked: list[str]
    answer: str
    cited: list[str]
    refused: bool
    total_ms: float
    planning_ms: float = 0.0
    plan: str = ''


@dataclass
class Arm:
    """How an arm recalls: its search mode and, when it plans, its recall function."""

    name: str
    mode: str
    planner: QueryPlanner = field(default_factory=NoPlanner)
    fusion: str = 'rrf'


def load(service: MemoryService, mission: EvalMission) -> list[str]:
    """Write a mission's reports as the node would; return the stored id of each report."""
    items = []
    for obs in mission.observations:
        if obs.pose is None:
            pose = PoseEstimate(0.0, 0.0, 0.0, False, 'no odometry at the stamp', 'map')
        else:
            pose = PoseEstimate(obs.pose[0], obs.pose[1], obs.pose[2], True, '', 'map')
        items.append((Observation(text=obs.text, stamp=mission.start_time + obs.t,
                                  source=obs.source, tags=obs.tags, confidence=obs.confidence),
                      pose, MissionContext(mission.mission_id,
                                           room=obs.room if obs.room_known else None)))
    ids: list[str] = []
    for start in range(0, len(items), WRITE_BATCH):
        for outcome in service.write_observations(items[start:start + WRITE_BATCH]):
            if outcome.record is None:
                raise RuntimeError(f'a held-out report was refused: {outcome.error}')
            ids.append(outcome.merged_into or outcome.record.id)
    return ids


def answer_without_llm(result: Any, now: float) -> tuple[str, list[str]]:
    """
    Return the answer the node gives without an LLM, and its citations.

    Where a plan asks where or when about a tagged thing, the latest sighting of its track
    (room, position, time) answers; for a count, the track's number of sightings; otherwise the
    retrieval-only answer restates the best memories.
    """
    plan = result.plan
    intent = plan.intent if plan is not None else 'describe'
    if result.tracks and intent in ('where', 'where_now', 'when', 'when_last', 'count'):
        track = result.tracks[0]
        last = track.last
        name = track.tag.partition(':')[2].replace('_', ' ')
        rooms = ', '.join(r.replace('_', ' ') for r in last.rooms) or 'an unknown room'
        where = '' if last.x is None else f' at ({last.x:.1f}, {last.y:.1f})'
        if intent == 'count':
            return (f'{name} was seen {track.seen_count} times in {track.memories} memories; '
                    f'last "{last.text}" [{last.memory_id}].', [last.memory_id])
        return (f'{name} was last seen in the {rooms}{where}, {describe_age(now - last.time)}: '
                f'"{last.text}" [{last.memory_id}].', [last.memory_id])
    return retrieval_only_answer(result.hits, now)


def ask(service: MemoryService, arm: Arm, query: RecallQuery, now: float) -> Outcome:
    """Recall through the service with the arm's planner and search mode."""
    result = service.recall(query, now)
    answer, cited = answer_without_llm(result, now)
    plan = result.plan.summary() if result.plan is not None else ''
    return Outcome('', '', [h.record.id for h in result.hits], answer, cited,
                   answer == NO_MEMORY_ANSWER, result.timings.get('total_ms', 0.0),
                   result.timings.get('planning_ms', 0.0), plan)


def success(outcome: Outcome, gold: Sequence[set[str]], category: str, k: int) -> bool:
    """Tell whether the first k memories answer the question (see the module docstring)."""
    top = set(outcome.ranked[:k])
    if category == 'multi_hop' and k > 1:
        return all(hop & top for hop in gold)
    return any(hop & top for hop in gold)


def correct(outcome: Outcome, question: EvalQuestion, gold: Sequence[set[str]]) -> bool:
    """Tell whether the answer states the gold fact and cites it (module docstring)."""
    if not gold:
        return outcome.refused
    if outcome.refused or not outcome.cited or not any(outcome.cited[0] in hop for hop in gold):
        return False
    said = outcome.answer.lower()
    if question.count is not None:
        number = question.count
        words = {str(number)} | ({NUMBER_WORDS[number]} if number < len(NUMBER_WORDS) else set())
        if not any(f' {w} ' in f' {said} ' for w in words):
            return False
    return not question.answer_keys or any(key in said for key in question.answer_keys)


def _rate(values: Sequence[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _interval(values: Sequence[bool], rng: random.Random) -> list[float]:
    """Return the 95% bootstrap interval of a rate."""
    if not values:
        return [0.0, 0.0]
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(BOOTSTRAP))
    return [round(means[int(0.025 * BOOTSTRAP)], 4), round(means[int(0.975 * BOOTSTRAP) - 1], 4)]


def score_arm(outcomes: list[Outcome], questions: dict[str, EvalQuestion],
              golds: dict[str, list[set[str]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return an arm's metrics (the results file's shape) and its intervals and counts."""
    rng = random.Random(0)
    answerable = [o for o in outcomes if golds[o.qid]]
    unanswerable = [o for o in outcomes if not golds[o.qid]]
    flags: dict[str, list[bool]] = {
        f'success_at_{k}': [success(o, golds[o.qid], o.category, k) for o in answerable]
        for k in (1, 5, 10)}
    flags['answer_correct'] = [correct(o, questions[o.qid], golds[o.qid]) for o in outcomes]
    flags['unanswerable_refused'] = [o.refused for o in unanswerable]
    metrics: dict[str, Any] = {name: _rate(values) for name, values in flags.items()}
    metrics['by_category'] = {}
    for category in CATEGORIES:
        chosen = [o for o in outcomes if o.category == category]
        scored = [o for o in chosen if golds[o.qid]]
        if category == 'unanswerable':
            metrics['by_category'][category] = {
                'success_at_1': _rate([o.refused for o in chosen]),
                'success_at_10': _rate([o.refused for o in chosen])}
            continue
        metrics['by_category'][category] = {
            f'success_at_{k}': _rate([success(o, golds[o.qid], category, k) for o in scored])
            for k in (1, 10)}
    details: dict[str, Any] = {
        name: {'value': metrics[name], 'ci95': _interval(values, rng), 'n': len(values)}
        for name, values in flags.items()}
    details['recall_ms_p50'] = round(statistics.median(o.total_ms for o in outcomes), 2)
    details['planning_ms_p50'] = round(statistics.median(o.planning_ms for o in outcomes), 3)
    return metrics, details


def run(missions: list[EvalMission], arms: list[Arm], embedder: Any,
        workdir: str) -> tuple[dict[str, list[Outcome]], dict[str, Any]]:
    """Write each mission into a fresh store and ask every question through every arm."""
    outcomes: dict[str, list[Outcome]] = {arm.name: [] for arm in arms}
    facts: dict[str, Any] = {'missions': []}
    for mission in missions:
        store = EdgeStore(os.path.join(workdir, mission.mission_id))
        service = MemoryService(store, embedder)
        try:
            started = time.perf_counter()
            ids = load(service, mission)
            facts['missions'].append({
                'mission_id': mission.mission_id, 'reports': len(mission.observations),
                'memories': service.count(), 'questions': len(mission.questions),
                'write_s': round(time.perf_counter() - started, 1)})
            for arm in arms:
                service.retrieval_mode = arm.mode  # type: ignore[assignment]
                service.planner = arm.planner
                store.fusion = arm.fusion  # type: ignore[assignment]
                for question in mission.questions:
                    query = RecallQuery(question=question.question,
                                        mission_id=mission.mission_id, k=K)
                    outcome = ask(service, arm, query, question.now)
                    outcome.qid, outcome.category = question.qid, question.category
                    outcomes[arm.name].append(outcome)
            facts['missions'][-1]['ids'] = ids
        finally:
            service.close()
    return outcomes, facts


def gold_sets(missions: list[EvalMission], facts: dict[str, Any]) -> dict[str, list[set[str]]]:
    """Return each question's gold memory ids per hop, through the stored id of each report."""
    golds: dict[str, list[set[str]]] = {}
    for mission, written in zip(missions, facts['missions']):
        ids = written['ids']
        for question in mission.questions:
            golds[question.qid] = [{ids[i] for i in hop} for hop in question.gold]
    return golds


def make_arm(name: str) -> Arm:
    """Return the arm of that name (the LLM arms need a vLLM server: see llm_arm)."""
    if name == 'dense':
        return Arm(name, 'dense')
    if name == 'hybrid':
        return Arm(name, 'hybrid')
    if name == 'hybrid-dbsf':
        return Arm(name, 'hybrid', fusion='dbsf')
    if name == 'hybrid+rules':
        return Arm(name, 'hybrid', RulePlanner())
    raise ValueError(f'arm {name} is not available in this run')


def main(argv: list[str] | None = None) -> int:
    """Run the recall evaluation and write recall.json, recall_details.json and the report."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.evaluation.recall_eval',
        description='Recall on held-out synthetic missions: dense, hybrid and planned arms.')
    parser.add_argument('--out', default='eval/results', help='Folder for the results.')
    parser.add_argument('--missions', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--arms', default='dense,hybrid',
                        help=f'Comma-separated arms among {", ".join(ARMS + VARIANTS)}.')
    parser.add_argument('--unmeasured-reason', default='not requested in this run',
                        help='Why the arms left out were not measured (written in the report).')
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from shadowhound_memory.embeddings.local import SentenceTransformerProvider
    embedder = SentenceTransformerProvider()
    wanted = [a.strip() for a in args.arms.split(',') if a.strip()]
    unknown = [a for a in wanted if a not in ARMS + VARIANTS]
    if unknown:
        parser.error(f'unknown arms {unknown}; choose among {", ".join(ARMS + VARIANTS)}')
    arms = [make_arm(name) for name in wanted]
    missions = make_missions(args.missions, args.seed)
    with tempfile.TemporaryDirectory(prefix='recall-eval-') as workdir:
        outcomes, facts = run(missions, arms, embedder, workdir)
    golds = gold_sets(missions, facts)
    questions = {q.qid: q for m in missions for q in m.questions}
    results: dict[str, Any] = {'arms': {}}
    details: dict[str, Any] = {
        'arms': {}, 'not_measured': {a: args.unmeasured_reason for a in ARMS if a not in wanted},
        'missions': [{k: v for k, v in m.items() if k != 'ids'} for m in facts['missions']]}
    for arm in arms:
        metrics, extra = score_arm(outcomes[arm.name], questions, golds)
        if arm.name in ARMS:
            results['arms'][arm.name] = metrics
        extra['metrics'] = metrics
        details['arms'][arm.name] = extra
        details['arms'][arm.name]['outcomes'] = [asdict(o) for o in outcomes[arm.name]]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'recall.json').write_text(json.dumps(results, indent=2) + '\n')
    (out / 'recall_details.json').write_text(json.dumps(details, indent=1) + '\n')
    write_report(results, details, out)
    for name, metrics in ((n, d['metrics']) for n, d in details['arms'].items()):
        print(f"{name:20} s@1 {metrics['success_at_1']:.3f}  s@5 {metrics['success_at_5']:.3f}  "
              f"s@10 {metrics['success_at_10']:.3f}  answer {metrics['answer_correct']:.3f}  "
              f"refused {metrics['unanswerable_refused']:.3f}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
