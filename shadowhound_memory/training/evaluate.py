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
Evaluate base and adapters on held-out missions, four arms side by side.

Arms: the base model with the few-shot prompt (base+prompt), the base model with the JSON Schema
enforced by constrained decoding (base+schema), and the adapters with the plain prompt, free
(adapter+prompt) or schema-constrained (adapter+schema). Every arm gets the same prompts the node
sends (shadowhound_memory.llm.prompts), through a vLLM server (the one the node uses, or one this
command starts) or in-process transformers + PEFT when there is no server; in-process decoding
has no schema constraint, so the schema arms are then left unmeasured (null), never faked.

Writing: each observation's draft is parsed and checked (validity, field accuracy, tokens); the
valid drafts become records in a fresh Qdrant Edge store per arm with the real MiniLM embedder,
and each gold question is asked through the package's MemoryService: success@5 says whether a
memory of an answering observation came back. An invalid draft leaves no memory, so it costs
retrieval too. Recall: every arm answers the same questions over the same documents, retrieved
from the gold memories, so answer quality is compared on equal inputs.
"""

import argparse
from concurrent.futures import ThreadPoolExecutor
import json
import os
import pathlib
import sys
import tempfile
import time
from typing import Any, Protocol

from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.compose.factory import build_memory_service, make_embedder
from shadowhound_memory.domain.errors import SchemaError
from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.domain.records import MemoryRecord
from shadowhound_memory.llm.prompts import (answer_json_schema, draft_json_schema, memory_doc,
                                            recall_messages, record_from_draft,
                                            response_format, writing_messages)
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.retrieval.retriever import RecallQuery
from shadowhound_memory.training import metrics
from shadowhound_memory.training.formats import Answer, Draft, HeldOutMission, read_jsonl

ARMS = ('base+prompt', 'base+schema', 'adapter+prompt', 'adapter+schema')
K = 5
# The node's own limits, so an arm is cut off where it would be on the robot.
WRITING_MAX_TOKENS = MemoryConfig().llm_writing_max_tokens
RECALL_MAX_TOKENS = MemoryConfig().llm_recall_max_tokens
TOKEN_BUDGET = MemoryConfig().token_budget


class Reply(Protocol):
    """What a generator returns (the fields of the LLM client's Completion)."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


class Generator(Protocol):
    """Something that answers chat messages with the base model or a task's adapter."""

    supports_schema: bool

    def generate(self, task: str, adapter: bool, messages: list[dict[str, str]],
                 max_tokens: int, schema: dict[str, Any] | None) -> Reply:
        """Answer one request greedily."""


class ServerGenerator:
    """Generation through an OpenAI-compatible vLLM server (base and adapters by name)."""

    supports_schema = True

    def __init__(self, base_url: str, base_name: str, adapter_names: dict[str, str]) -> None:
        from shadowhound_memory.llm.client import LlmClient
        self.client = LlmClient(base_url, timeout_s=300.0)
        self.base_name = base_name
        self.adapter_names = adapter_names

    def generate(self, task: str, adapter: bool, messages: list[dict[str, str]],
                 max_tokens: int, schema: dict[str, Any] | None) -> Reply:
        """Send one chat request; the schema, if any, goes as response_format json_schema."""
        model = self.adapter_names[task] if adapter else self.base_name
        return self.client.chat(model, messages, max_tokens=max_tokens, temperature=0.0,
                                response_format=None if schema is None else
                                response_format(task, schema))


class LocalReply:
    """A reply from in-process generation, shaped like the client's Completion."""

    def __init__(self, text: str, finish_reason: str, prompt_tokens: int,
                 completion_tokens: int) -> None:
        self.text = text
        self.finish_reason = finish_reason
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


class LocalGenerator:
    """In-process transformers + PEFT: the base and each task's adapter in one model."""

    supports_schema = False

    def __init__(self, base_model: str, adapters: dict[str, str], threads: int = 1) -> None:
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer
        torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(base_model)
        model = AutoModelForCausalLM.from_pretrained(base_model, dtype=torch.float32)
        self.model: Any = model
        for task, path in adapters.items():
            if isinstance(self.model, PeftModel):
                self.model.load_adapter(path, adapter_name=task)
            else:
                self.model = PeftModel.from_pretrained(model, path, adapter_name=task)
        self.model.eval()

    def generate(self, task: str, adapter: bool, messages: list[dict[str, str]],
                 max_tokens: int, schema: dict[str, Any] | None) -> Reply:
        """Decode greedily with the task's adapter active, or with every adapter disabled."""
        import contextlib
        import torch
        if schema is not None:
            raise ValueError('in-process generation cannot enforce a JSON Schema')
        prompt = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                    tokenize=False)
        ids = self.tokenizer(prompt, add_special_tokens=False, return_tensors='pt')
        if adapter:
            self.model.set_adapter(task)
            scope: Any = contextlib.nullcontext()
        else:
            scope = self.model.disable_adapter() if hasattr(self.model, 'disable_adapter') \
                else contextlib.nullcontext()
        with torch.no_grad(), scope:
            out = self.model.generate(**ids, max_new_tokens=max_tokens, do_sample=False,
                                      pad_token_id=self.tokenizer.eos_token_id)
        new = out[0, ids['input_ids'].shape[1]:].tolist()
        stopped = bool(new) and new[-1] == self.tokenizer.eos_token_id
        text = str(self.tokenizer.decode(new, skip_special_tokens=True))
        return LocalReply(text, 'stop' if stopped else 'length', ids['input_ids'].shape[1],
                          len(new))


def _progress(message: str) -> None:
    # Minutes pass between arms on a CPU: say where the run is.
    print(f'[evaluate {time.strftime("%H:%M:%S")}] {message}', file=sys.stderr, flush=True)


def _arm(name: str) -> tuple[bool, bool]:
    """Return (uses the adapter, uses the schema) of an arm."""
    model, style = name.split('+')
    return model == 'adapter', style == 'schema'


def node_inputs(obs: Any, mission_id: str) -> tuple[Observation, PoseEstimate, MissionContext]:
    """Rebuild what the node had for a held-out observation."""
    observation = Observation(text=obs.text, stamp=obs.stamp, source=obs.source,
                              tags=tuple(obs.tags), confidence=obs.confidence)
    pose = PoseEstimate(x=obs.pose['x'], y=obs.pose['y'], yaw=obs.pose['yaw'], known=True,
                        reason='', frame_id='map') if obs.pose else \
        PoseEstimate(0.0, 0.0, 0.0, False, 'unknown in the data', 'map')
    return observation, pose, MissionContext(mission_id, room=obs.room)


class Evaluation:
    """Runs the arms over held-out missions and collects per-item results and metrics."""

    def __init__(self, missions: list[HeldOutMission], generator: Generator, embedder: Any,
                 work_dir: str, max_observations: int = 0, max_questions: int = 0,
                 concurrency: int = 4, writing_max_tokens: int = WRITING_MAX_TOKENS,
                 recall_max_tokens: int = RECALL_MAX_TOKENS) -> None:
        self.missions = missions
        self.generator = generator
        self.embedder = embedder
        self.work_dir = work_dir
        self.max_observations = max_observations
        self.max_questions = max_questions
        self.concurrency = concurrency
        self.writing_max_tokens = writing_max_tokens
        self.recall_max_tokens = recall_max_tokens

    def _run(self, requests: list[tuple[str, bool, list[dict[str, str]], int,
                                        dict[str, Any] | None]]) -> list[Reply]:
        # Concurrent requests let the server batch them; in-process generation runs one by one.
        workers = self.concurrency if isinstance(self.generator, ServerGenerator) else 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda r: self.generator.generate(*r), requests))

    def _observations(self, mission: HeldOutMission) -> list[int]:
        count = len(mission.observations)
        return list(range(min(count, self.max_observations) if self.max_observations else count))

    def _questions(self, mission: HeldOutMission, kept: list[int]) -> list[Any]:
        questions = [q for q in mission.questions if set(q.observations) & set(kept)]
        return questions[:self.max_questions] if self.max_questions else questions

    def _store_and_ask(self, name: str, mission: HeldOutMission,
                       records: dict[int, MemoryRecord]) -> tuple[list[float], dict[str, Any]]:
        """Store records and ask the questions; return success@k and the hits per question."""
        path = tempfile.mkdtemp(prefix=f'{name.replace("+", "-")}-', dir=self.work_dir)
        service = build_memory_service(MemoryConfig(store_path=path), embedder=self.embedder)
        try:
            stored: dict[int, str] = {}
            indices = sorted(records)
            outcomes = [service.write_record(records[i]) for i in indices]
            for i, outcome in zip(indices, outcomes):
                stored[i] = outcome.merged_into or (outcome.record.id if outcome.record else '')
            successes, hits = [], {}
            now = max((r.timestamp for r in records.values()), default=1.0) + 60.0
            # The same questions for every arm: an arm's invalid drafts cost it answers.
            for q in self._questions(mission, self._observations(mission)):
                relevant = {stored[i] for i in q.observations if i in stored}
                result = service.recall(RecallQuery(question=q.question,
                                                    mission_id=mission.mission_id, k=K), now)
                ids = [h.record.id for h in result.hits]
                successes.append(metrics.success_at_k(ids, relevant, K))
                hits[q.question] = (result.hits, relevant)
            return successes, hits
        finally:
            service.close()

    def writing(self, arm: str) -> dict[str, Any]:
        """Write every kept observation through the arm; measure drafts and retrieval."""
        adapter, schema = _arm(arm)
        if schema and not self.generator.supports_schema:
            return {}
        items: dict[str, list[float]] = {k: [] for k in (
            'json_validity', 'json_parse_rate', 'truncation_rate', 'field_accuracy',
            'event_accuracy', 'tags_f1', 'text_recall', 'tokens_per_memory',
            'writing_prompt_tokens', 'success_at_5')}
        samples: list[dict[str, Any]] = []
        for mission in self.missions:
            kept = self._observations(mission)
            requests = [('writing', adapter, writing_messages(mission.observations[i].input,
                                                              few_shot=not adapter),
                         self.writing_max_tokens, draft_json_schema() if schema else None)
                        for i in kept]
            replies = self._run(requests)
            records = {}
            for i, reply in zip(kept, replies):
                draft, status = metrics.parse_json_output(reply.text, reply.finish_reason, Draft)
                if draft is not None:
                    try:
                        records[i] = record_from_draft(
                            draft.model_dump(), *node_inputs(mission.observations[i],
                                                             mission.mission_id))
                    except SchemaError:
                        draft, status = None, 'schema'
                items['json_validity'].append(float(status == 'ok'))
                items['json_parse_rate'].append(float(status in ('ok', 'schema')))
                items['truncation_rate'].append(float(status == 'truncated'))
                for key, value in metrics.field_scores(draft, mission.gold_drafts[i]).items():
                    items[key].append(value)
                items['writing_prompt_tokens'].append(float(reply.prompt_tokens))
                if draft is not None:
                    items['tokens_per_memory'].append(float(reply.completion_tokens))
                if len(samples) < 3:
                    samples.append({'input': mission.observations[i].input,
                                    'output': reply.text, 'status': status})
            items['success_at_5'] += self._store_and_ask(arm, mission, records)[0]
        means, intervals = metrics.summarize(items)
        return {**means, 'ci95': intervals, 'writing_items': len(items['json_validity']),
                'questions': len(items['success_at_5']), 'samples': samples}

    def recall(self, arm: str, gold_hits: list[tuple[str, list[Any], set[str]]]
               ) -> dict[str, Any]:
        """Answer the gold-store questions through the arm; measure citations and grounding."""
        adapter, schema = _arm(arm)
        if schema and not self.generator.supports_schema:
            return {}
        requests, all_docs = [], []
        for question, hits, _ in gold_hits:
            docs = [memory_doc(h, n + 1) for n, h in enumerate(hits)]
            all_docs.append(docs)
            requests.append(('recall', adapter, recall_messages(question, docs,
                                                                few_shot=not adapter),
                             self.recall_max_tokens,
                             answer_json_schema([d['ref'] for d in docs]) if schema else None))
        replies = self._run(requests)
        items: dict[str, list[float]] = {k: [] for k in (
            'answer_json_validity', 'citation_validity', 'groundedness', 'answer_cites_gold',
            'token_budget_use')}
        samples: list[dict[str, Any]] = []
        for (question, hits, relevant), docs, reply in zip(gold_hits, all_docs, replies):
            answer, status = metrics.parse_json_output(reply.text, reply.finish_reason, Answer)
            items['answer_json_validity'].append(float(status == 'ok'))
            items['token_budget_use'].append(reply.prompt_tokens / TOKEN_BUDGET)
            refs = {d['ref']: (d, h.record.id) for d, h in zip(docs, hits)}
            if answer is None:
                cites_ok = grounded = hit = 0.0
            else:
                cited = [refs[c] for c in answer.citations if c in refs]
                cites_ok = float(len(cited) == len(answer.citations) and bool(cited))
                grounded = metrics.groundedness(answer.answer, [d for d, _ in cited])
                hit = float(any(rid in relevant for _, rid in cited))
            items['citation_validity'].append(cites_ok)
            items['groundedness'].append(grounded)
            items['answer_cites_gold'].append(hit)
            if len(samples) < 3:
                samples.append({'question': question, 'output': reply.text, 'status': status})
        means, intervals = metrics.summarize(items)
        return {**means, 'recall_ci95': intervals, 'recall_items': len(items['groundedness']),
                'recall_samples': samples}

    def gold_hits(self) -> tuple[list[tuple[str, list[Any], set[str]]], list[float]]:
        """Retrieve every kept question from a store of the gold memories."""
        gold, successes = [], []
        for mission in self.missions:
            kept = self._observations(mission)
            records = {i: mission.gold_memories[i] for i in kept}
            found, hits = self._store_and_ask('gold', mission, records)
            successes += found
            gold += [(q, h, rel) for q, (h, rel) in hits.items()]
        return gold, successes

    def run(self, arms: tuple[str, ...] = ARMS) -> dict[str, Any]:
        """Return {'arms': {arm: metrics}, 'reference': {...}} for every arm."""
        gold, gold_success = self.gold_hits()
        results: dict[str, Any] = {'arms': {}, 'reference': {
            'success_at_5_gold_memories': metrics.mean(gold_success),
            'success_at_5_gold_memories_ci95': metrics.bootstrap_ci(gold_success), 'k': K,
            'token_budget': TOKEN_BUDGET, 'missions': [m.mission_id for m in self.missions]}}
        results['samples'] = {}
        for arm in arms:
            started = time.monotonic()
            written = self.writing(arm)
            _progress(f'{arm}: writing done in {time.monotonic() - started:.0f} s')
            answered = self.recall(arm, gold)
            merged = {**written, **answered}
            if merged:
                merged['ci95'] = {**written.get('ci95', {}), **answered.get('recall_ci95', {})}
                merged.pop('recall_ci95', None)
            _progress(f'{arm}: recall done, {time.monotonic() - started:.0f} s in all')
            results['samples'][arm] = {'writing': merged.pop('samples', []),
                                       'recall': merged.pop('recall_samples', [])}
            results['arms'][arm] = merged or None
        return results


def main(argv: list[str] | None = None) -> int:
    """Evaluate from the command line and write latest.json and the report."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.training.evaluate',
        description='Compare base+prompt, base+schema, adapter+prompt and adapter+schema on '
                    'held-out missions; write latest.json and report.md.')
    parser.add_argument('--missions', required=True,
                        help='missions_test.jsonl from generate (in distribution).')
    parser.add_argument('--ood-missions',
                        help='missions_ood.jsonl from generate (out of distribution; every '
                             'observation and question is used, the limits below do not apply).')
    parser.add_argument('--base-model', required=True, help='Base model folder.')
    parser.add_argument('--writing-adapter', required=True,
                        help='Writing adapter folder (with --server: its served name).')
    parser.add_argument('--recall-adapter', required=True,
                        help='Recall adapter folder (with --server: its served name).')
    parser.add_argument('--server', help='Base URL of a running vLLM with the adapters loaded.')
    parser.add_argument('--base-name', help='Served name of the base model (with --server; '
                                            "default: the base model folder's name).")
    parser.add_argument('--start-server', metavar='VLLM_PYTHON',
                        help="Start a vLLM server with this venv's Python for the run.")
    parser.add_argument('--max-observations', type=int, default=0,
                        help='In-distribution observations written per mission (0: all).')
    parser.add_argument('--max-questions', type=int, default=0,
                        help='In-distribution questions asked per mission (0: all).')
    parser.add_argument('--concurrency', type=int, default=4,
                        help='Requests in flight to the server.')
    parser.add_argument('--out', default='eval/results',
                        help='Folder for latest.json, report.md and plots.')
    args = parser.parse_args(argv)
    from shadowhound_memory.training.deploy import DEFAULT_NAMES
    from shadowhound_memory.training.report import write_report
    from shadowhound_memory.training.server import base_name_of, VllmServer

    # Out of distribution first: the figures the report's rule reads, and the ones a run cut
    # short should still have; latest.json is rewritten after each set.
    sets: dict[str, tuple[list[HeldOutMission], int, int]] = {}
    if args.ood_missions:
        sets['ood'] = (read_jsonl(args.ood_missions, HeldOutMission), 0, 0)
    sets['in_distribution'] = (read_jsonl(args.missions, HeldOutMission),
                               args.max_observations, args.max_questions)
    embedder = make_embedder(MemoryConfig())
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = None
    try:
        if args.start_server:
            adapters = {DEFAULT_NAMES['writing']: os.path.abspath(args.writing_adapter),
                        DEFAULT_NAMES['recall']: os.path.abspath(args.recall_adapter)}
            server = VllmServer(args.start_server, os.path.abspath(args.base_model), adapters,
                                base_name=base_name_of(args.base_model)).start()
            generator: Generator = ServerGenerator(server.base_url, server.base_name,
                                                   DEFAULT_NAMES)
            mode = 'vllm (started for the run)'
        elif args.server:
            generator = ServerGenerator(args.server,
                                        args.base_name or base_name_of(args.base_model),
                                        {'writing': args.writing_adapter,
                                         'recall': args.recall_adapter})
            mode = f'vllm at {args.server}'
        else:
            generator = LocalGenerator(args.base_model, {'writing': args.writing_adapter,
                                                         'recall': args.recall_adapter})
            mode = 'in-process transformers + PEFT (no schema arms)'
        results: dict[str, Any] = {'reference': {
            'generation': mode, 'sets_done': [],
            'bootstrap': {'level': 0.95, 'resamples': metrics.BOOTSTRAP_RESAMPLES,
                          'unit': 'item'},
            'adapters': {task: _card(path) for task, path in (
                ('writing', args.writing_adapter), ('recall', args.recall_adapter))}}}
        for name, (missions, max_observations, max_questions) in sets.items():
            _progress(f'{name}: {len(missions)} missions')
            with tempfile.TemporaryDirectory(prefix='shm-eval-') as work:
                results[name] = Evaluation(missions, generator, embedder, work,
                                           max_observations, max_questions,
                                           args.concurrency).run()
            results['reference']['sets_done'].append(name)
            (out / 'latest.json').write_text(json.dumps(results, indent=2) + '\n')
            report = write_report(results, out)
    finally:
        if server is not None:
            server.stop()
    print(report)
    return 0


def _card(path: str) -> dict[str, Any] | None:
    card = pathlib.Path(path) / 'adapter_card.json'
    if not card.exists():
        return None
    data = json.loads(card.read_text())
    return {k: data[k] for k in ('task', 'schema_version', 'date', 'hyperparameters')} | {
        'metrics': {k: v for k, v in data['metrics'].items() if k != 'history'},
        'train_sha256': data['data']['train_sha256']}


if __name__ == '__main__':
    sys.exit(main())
