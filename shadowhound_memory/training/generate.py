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
Synthetic adapter datasets: writing pairs, recall pairs and held-out missions.

Every mission comes from the world generator (rooms, objects, a route, noisy odometry, paraphrased
observations, gold questions), so the gold answers are known by construction. Missions are split
three ways, train, dev (eval loss for early stopping) and test (the evaluate command), and no
mission is in two splits. The same seed gives byte-identical files.
"""

import argparse
from collections.abc import Iterator
import json
import pathlib
import random
import sys
from typing import Any
import uuid

from shadowhound_memory.domain.observation import MissionContext, Observation
from shadowhound_memory.llm.prompts import memory_doc, NO_ANSWER, record_from_draft, \
    writing_input
from shadowhound_memory.pose.buffer import PoseEstimate
from shadowhound_memory.store.base import ScoredRecord
from shadowhound_memory.synthetic.ood import make_ood_missions, OodMission
from shadowhound_memory.synthetic.world import gold_questions, make_mission, Mission, \
    SyntheticObservation
from shadowhound_memory.training.formats import (Answer, Doc, Draft, GoldObservation,
                                                 GoldQuestion, HeldOutMission, RecallPair,
                                                 write_jsonl, WritingPair)
from shadowhound_memory.training.leakage import check as check_leaks

# 2026-01-05 00:00 UTC; missions start on a day after it, in working hours.
EPOCH = 1_767_571_200.0
DOCS_PER_QUESTION = 5
MAX_CITED = 3


def _room_words(room: str) -> str:
    return room.replace('_', ' ')


def gold_draft(mission: Mission, obs: SyntheticObservation) -> Draft:
    """Return the normalized draft of an observation: its kind, a clean sentence, its labels."""
    obj = next(o for o in mission.objects if o.key == obs.object_key)
    phrase = obj.phrase[0].upper() + obj.phrase[1:]
    text = f'{phrase} {obj.place} in the {_room_words(obs.room)}.'
    if obj.person:
        who = 'person:alice' if obj.key == 'alice' else 'person:unknown'
        return Draft(event='person_seen', text=text, tags=[who, f'room:{obs.room}'])
    return Draft(event='object_seen', text=text, tags=[f'object:{obj.key}', f'room:{obs.room}'])


def node_inputs(mission: Mission, obs: SyntheticObservation
                ) -> tuple[Observation, PoseEstimate, MissionContext]:
    """Return what the node would have for an observation: the report, odometry's pose, room."""
    x, y, yaw = mission.odometry_at(obs.t)
    observation = Observation(text=obs.text, stamp=mission.start_time + obs.t, source=obs.source,
                              tags=obs.tags, confidence=obs.confidence)
    pose = PoseEstimate(x=x, y=y, yaw=yaw, known=True, reason='', frame_id='map')
    return observation, pose, MissionContext(mission.mission_id, room=obs.room)


def gold_answer(question: str, relevant: list[dict[str, Any]]) -> Answer:
    """
    Return the grounded answer: each relevant memory restated with where and when, cited.

    The shape the recall prompt asks for (what, where (x, y), when), so the adapter learns the
    node's instructions, not a style of its own.
    """
    if not relevant:
        return Answer(answer=NO_ANSWER, citations=[])
    parts = []
    for doc in relevant:
        where = '' if doc['pose'] is None else \
            f" at ({doc['pose']['x']:.1f}, {doc['pose']['y']:.1f})"
        parts.append(f"{doc['text'].rstrip('.')}{where} at {doc['time'][11:16]}")
    return Answer(answer='; '.join(parts) + '.', citations=[d['ref'] for d in relevant])


class MissionData:
    """One mission's observations (repeats dropped), gold drafts, gold records and questions."""

    def __init__(self, mission: Mission) -> None:
        self.mission = mission
        self.observations = [o for o in mission.observations if not o.repeat]
        self.inputs = [node_inputs(mission, o) for o in self.observations]
        self.drafts = [gold_draft(mission, o) for o in self.observations]
        # Ids from the mission and position, so the same seed writes the same files.
        self.records = [record_from_draft(d.model_dump(), *inp).model_copy(update={
            'id': str(uuid.uuid5(uuid.NAMESPACE_URL, f'{mission.mission_id}/{n}'))})
            for n, (d, inp) in enumerate(zip(self.drafts, self.inputs))]
        index = {id(o): i for i, o in enumerate(self.observations)}
        self.questions: list[GoldQuestion] = []
        for q in gold_questions(mission):
            # The last-minute question needs the node's time filter, not retrieval by meaning.
            if q.within_last_s:
                continue
            wanted = sorted({index[id(mission.observations[i])]
                             for i in q.observation_indices
                             if not mission.observations[i].repeat})
            if wanted:
                self.questions.append(GoldQuestion(question=q.question, observations=wanted,
                                                   room=q.room, object_key=q.object_key))

    def writing_pairs(self) -> list[WritingPair]:
        """Return one pair per observation: the node's input text -> the gold draft."""
        return [WritingPair(task='writing', mission_id=self.mission.mission_id,
                            input=writing_input(*inp), output=draft)
                for inp, draft in zip(self.inputs, self.drafts)]

    def recall_pairs(self, rng: random.Random) -> list[RecallPair]:
        """Return one pair per question: gold memories among distractors -> the cited answer."""
        pairs = []
        for q in self.questions:
            relevant = q.observations[:MAX_CITED]
            others = [i for i in range(len(self.records)) if i not in q.observations]
            chosen = relevant + rng.sample(others, min(len(others),
                                                       DOCS_PER_QUESTION - len(relevant)))
            rng.shuffle(chosen)
            docs = [memory_doc(ScoredRecord(self.records[i], 1.0), n + 1)
                    for n, i in enumerate(chosen)]
            cited = [d for d, i in zip(docs, chosen) if i in relevant]
            pairs.append(RecallPair(task='recall', mission_id=self.mission.mission_id,
                                    question=q.question, docs=[Doc(**d) for d in docs],
                                    output=gold_answer(q.question, cited)))
        return pairs

    def held_out(self) -> HeldOutMission:
        """Return the mission as the evaluate command reads it."""
        observations = []
        for obs, (observation, pose, _), inp in zip(self.observations, self.inputs,
                                                    self.writing_pairs()):
            observations.append(GoldObservation(
                input=inp.input, text=observation.text, stamp=observation.stamp,
                source=observation.source, tags=list(observation.tags),
                confidence=observation.confidence, room=obs.room,
                pose={'x': pose.x, 'y': pose.y, 'yaw': pose.yaw}, repeat=obs.repeat))
        return HeldOutMission(task='mission', mission_id=self.mission.mission_id,
                              observations=observations, gold_drafts=self.drafts,
                              gold_memories=self.records, questions=self.questions)


def ood_held_out(mission: OodMission) -> HeldOutMission:
    """Return an out-of-distribution mission as the evaluate command reads it."""
    observations, drafts, records = [], [], []
    for n, obs in enumerate(mission.observations):
        observation = Observation(text=obs.text, stamp=mission.start_time + obs.t,
                                  source=obs.source, tags=obs.tags, confidence=obs.confidence)
        x, y, yaw = obs.pose
        pose = PoseEstimate(x=x, y=y, yaw=yaw, known=True, reason='', frame_id='map')
        context = MissionContext(mission.mission_id, room=obs.room)
        draft = Draft(event=obs.event, text=obs.gold_text, tags=list(obs.gold_tags))
        drafts.append(draft)
        records.append(record_from_draft(draft.model_dump(), observation, pose, context)
                       .model_copy(update={'id': str(uuid.uuid5(
                           uuid.NAMESPACE_URL, f'{mission.mission_id}/{n}'))}))
        observations.append(GoldObservation(
            input=writing_input(observation, pose, context), text=obs.text,
            stamp=observation.stamp, source=obs.source, tags=list(obs.tags),
            confidence=obs.confidence, room=obs.room, pose={'x': x, 'y': y, 'yaw': yaw},
            repeat=False))
    questions = [GoldQuestion(question=q.question, observations=list(q.observations),
                              room=q.room, object_key=q.object_key) for q in mission.questions]
    return HeldOutMission(task='mission', mission_id=mission.mission_id,
                          observations=observations, gold_drafts=drafts, gold_memories=records,
                          questions=questions)


def _missions(rng: random.Random, split: str, seed: int) -> Iterator['MissionData']:
    number = 0
    while True:
        mission = make_mission(seed=rng.randrange(2 ** 31), mission_id=f'{split}-{seed}-{number}',
                               start_time=EPOCH + 86_400.0 * rng.randrange(3650)
                               + 60.0 * rng.randrange(8 * 60, 18 * 60),
                               n_rooms=rng.randint(3, 5),
                               pose_noise_m=round(rng.uniform(0.0, 0.3), 2))
        number += 1
        yield MissionData(mission)


def generate(out_dir: str | pathlib.Path, seed: int = 0, writing_pairs: int = 200,
             dev_fraction: float = 0.1, test_missions: int = 3,
             ood_missions: int = 10) -> dict[str, Any]:
    """
    Write the dataset files into out_dir and return the manifest (counts, hashes, missions).

    missions_test.jsonl holds in-distribution missions (the training generator's words);
    missions_ood.jsonl holds missions of the out-of-distribution world, checked for leaks into
    the training and dev files (LeakError if any of its texts is there).
    """
    if writing_pairs < 1:
        raise ValueError(f'writing_pairs must be at least 1 (got {writing_pairs})')
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    manifest: dict[str, Any] = {'seed': seed, 'files': {}, 'missions': {}}
    targets = {'train': writing_pairs, 'dev': max(1, round(writing_pairs * dev_fraction))}
    for split, target in targets.items():
        writing: list[WritingPair] = []
        recall: list[RecallPair] = []
        missions = []
        source = _missions(rng, split, seed)
        while len(writing) < target:
            data = next(source)
            missions.append(data.mission.mission_id)
            writing += data.writing_pairs()
            recall += data.recall_pairs(rng)
        writing = writing[:target]
        manifest['missions'][split] = missions
        for name, items in ((f'writing_{split}', writing), (f'recall_{split}', recall)):
            digest = write_jsonl(out / f'{name}.jsonl', items)
            manifest['files'][f'{name}.jsonl'] = {'lines': len(items), 'sha256': digest}
    source = _missions(rng, 'test', seed)
    held = [next(source) for _ in range(test_missions)]
    manifest['missions']['test'] = [d.mission.mission_id for d in held]
    digest = write_jsonl(out / 'missions_test.jsonl', [d.held_out() for d in held])
    manifest['files']['missions_test.jsonl'] = {'lines': len(held), 'sha256': digest}
    ood = [ood_held_out(m) for m in make_ood_missions(seed, ood_missions, EPOCH)]
    manifest['missions']['ood'] = [m.mission_id for m in ood]
    digest = write_jsonl(out / 'missions_ood.jsonl', ood)
    manifest['files']['missions_ood.jsonl'] = {'lines': len(ood), 'sha256': digest}
    manifest['leak_check'] = {'texts_checked': check_leaks(
        out / 'missions_ood.jsonl', [out / f'{kind}_{split}.jsonl' for kind in
                                     ('writing', 'recall') for split in ('train', 'dev')])}
    (out / 'manifest.json').write_text(json.dumps(manifest, indent=2) + '\n')
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Generate a dataset from the command line."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.training.generate',
        description='Generate writing pairs, recall pairs and held-out missions from synthetic '
                    'missions (train, dev and test missions never overlap).')
    parser.add_argument('--out', required=True, help='Folder for the JSONL files and manifest.')
    parser.add_argument('--seed', type=int, default=0, help='Same seed, same files.')
    parser.add_argument('--writing-pairs', type=int, default=200,
                        help='Training writing pairs (thousands are fine).')
    parser.add_argument('--dev-fraction', type=float, default=0.1,
                        help='Dev pairs (eval loss, early stopping) as a fraction of training.')
    parser.add_argument('--test-missions', type=int, default=3,
                        help='Held-out in-distribution missions for the evaluate command.')
    parser.add_argument('--ood-missions', type=int, default=10,
                        help='Out-of-distribution missions (20 observations and 10 questions '
                             'each) for the evaluate command.')
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.seed, args.writing_pairs, args.dev_fraction,
                        args.test_missions, args.ood_missions)
    for name, info in manifest['files'].items():
        print(f"{name:24} {info['lines']:6d} lines  sha256 {info['sha256'][:12]}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
