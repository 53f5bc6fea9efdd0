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


"""Dataset generation, the JSONL formats and the validate command (no model needed)."""

import json

import pytest
from shadowhound_memory.training import generate, leakage, validate
from shadowhound_memory.training.formats import HeldOutMission, read_jsonl, WritingPair


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp('data')
    manifest = generate.generate(out, seed=7, writing_pairs=40, test_missions=2)
    return out, manifest


def test_generate_writes_exactly_the_asked_pairs_and_records_their_hashes(dataset):
    out, manifest = dataset
    assert manifest['files']['writing_train.jsonl']['lines'] == 40
    assert len((out / 'writing_train.jsonl').read_text().splitlines()) == 40
    assert manifest['files']['writing_dev.jsonl']['lines'] == 4
    assert manifest['files']['missions_test.jsonl']['lines'] == 2
    assert manifest['files']['recall_train.jsonl']['lines'] > 0


def test_same_seed_gives_identical_files_and_another_seed_other_files(dataset, tmp_path):
    out, manifest = dataset
    again = generate.generate(tmp_path / 'a', seed=7, writing_pairs=40, test_missions=2)
    other = generate.generate(tmp_path / 'b', seed=8, writing_pairs=40, test_missions=2)
    assert again['files'] == manifest['files']
    assert (tmp_path / 'a' / 'recall_train.jsonl').read_bytes() == \
        (out / 'recall_train.jsonl').read_bytes()
    assert other['files']['writing_train.jsonl']['sha256'] != \
        manifest['files']['writing_train.jsonl']['sha256']


def _without_mission_line(text):
    return '\n'.join(line for line in text.splitlines() if not line.startswith('mission:'))


def _shared_observations(out):
    """Return test observations whose input, mission name aside, is a training input."""
    train = {_without_mission_line(p.input)
             for p in read_jsonl(out / 'writing_train.jsonl', WritingPair)}
    return [o.input for m in read_jsonl(out / 'missions_test.jsonl', HeldOutMission)
            for o in m.observations if _without_mission_line(o.input) in train]


def test_no_test_mission_repeats_a_training_mission_by_content(dataset):
    # Ids carry the split name, so comparing them proves nothing: compare what the model sees,
    # the observation with its time and pose, with the mission name taken out.
    out, _ = dataset
    assert _shared_observations(out) == []


def test_the_split_check_finds_a_mission_generated_twice(tmp_path, monkeypatch):
    # The bug: every split draws the same mission (seed, start and noise), renamed per split.
    real = generate.make_mission
    monkeypatch.setattr(generate, 'make_mission', lambda mission_id, **_: real(
        seed=1, mission_id=mission_id, start_time=generate.EPOCH, n_rooms=4))
    generate.generate(tmp_path, seed=7, writing_pairs=40, test_missions=1, ood_missions=1)
    assert _shared_observations(tmp_path)


def test_ood_set_is_big_enough_and_shares_no_vocabulary_with_the_training_world():
    from shadowhound_memory.synthetic import ood, world
    missions = ood.make_ood_missions(0, 10, generate.EPOCH)
    assert sum(len(m.observations) for m in missions) >= 200
    assert sum(len(m.questions) for m in missions) >= 100
    assert not set(ood.ROOMS) & set(world.ROOMS)
    assert not set(ood.COLOURS) & set(world.COLOURS)
    assert not set(ood.NOUNS) & set(world.NOUNS)
    styles = {template.split()[0] for _, template in ood.OBJECT_STYLES}
    assert {'detector:', '[yolo]', 'Operator'} <= styles


def test_ood_missions_pass_the_leak_check_and_in_distribution_ones_would_not(dataset):
    out, manifest = dataset
    training = [out / f'{kind}_{split}.jsonl' for kind in ('writing', 'recall')
                for split in ('train', 'dev')]
    assert manifest['leak_check']['texts_checked'] == leakage.check(
        out / 'missions_ood.jsonl', training) > 0
    # The in-distribution test missions reuse the generator's questions word for word.
    with pytest.raises(leakage.LeakError, match='appear in the training files'):
        leakage.check(out / 'missions_test.jsonl', training)


def test_leak_check_fails_on_a_planted_overlap_in_another_casing(dataset, tmp_path, capsys):
    out, _ = dataset
    ood = read_jsonl(out / 'missions_ood.jsonl', HeldOutMission)
    planted = ood[1].observations[3].text.upper().replace(' ', '  ') + '!!'
    pair = json.loads((out / 'writing_train.jsonl').read_text().splitlines()[0])
    pair['input'] = pair['input'].replace('observation: ', f'observation: {planted} ')
    train = tmp_path / 'writing_train.jsonl'
    train.write_text((out / 'writing_train.jsonl').read_text() + json.dumps(pair) + '\n')
    with pytest.raises(leakage.LeakError, match='1 of 500'):
        leakage.check(out / 'missions_ood.jsonl', [train])
    assert leakage.main([str(out / 'missions_ood.jsonl'), str(train)]) == 1
    assert ood[1].observations[3].text in capsys.readouterr().err
    question = ood[0].questions[0].question
    pair['input'] = 'nothing'
    pair['output']['text'] = question.lower().rstrip('?')
    train.write_text(json.dumps(pair) + '\n')
    assert leakage.find_leaks([question], leakage.training_texts([train])) == [question]


def test_writing_inputs_carry_the_observation_and_outputs_the_gold_labels(dataset):
    out, _ = dataset
    for pair in read_jsonl(out / 'writing_train.jsonl', WritingPair):
        room = pair.output.tags[-1].split(':')[1]
        assert pair.output.event in ('object_seen', 'person_seen')
        assert room.replace('_', ' ') in pair.output.text
        assert room in pair.input


def test_recall_answers_cite_the_docs_that_answer_the_question(dataset):
    out, _ = dataset
    for line in (out / 'recall_train.jsonl').read_text().splitlines():
        pair = json.loads(line)
        docs = {d['ref']: d for d in pair['docs']}
        assert pair['output']['citations']
        for ref in pair['output']['citations']:
            assert docs[ref]['text'].rstrip('.') in pair['output']['answer']
            assert docs[ref]['time'][11:16] in pair['output']['answer']


def test_every_generated_file_validates(dataset, capsys):
    out, _ = dataset
    files = [str(p) for p in sorted(out.glob('*.jsonl'))]
    assert validate.main(files) == 0
    assert '0 bad' in capsys.readouterr().out


def test_validate_reports_every_bad_line_with_its_number_and_reason(dataset, tmp_path, capsys):
    out, _ = dataset
    good = (out / 'writing_train.jsonl').read_text().splitlines()[0]
    recall = json.loads((out / 'recall_train.jsonl').read_text().splitlines()[0])
    bad_tag = json.loads(good)
    bad_tag['output']['tags'] = ['Not A Tag!']
    bad_citation = dict(recall, output={'answer': 'x', 'citations': ['m9']})
    lines = [good, '{not json', json.dumps(bad_tag), '', json.dumps(bad_citation),
             json.dumps({'task': 'poem'})]
    path = tmp_path / 'mixed.jsonl'
    path.write_text('\n'.join(lines) + '\n')
    assert validate.main([str(path)]) == 1
    report = capsys.readouterr().out
    assert f'{path}:1:' not in report
    assert f'{path}:2: not valid JSON' in report
    assert f"{path}:3: output.tags: tag 'not a tag!' must look like kind:value" in report
    assert f'{path}:5: ' in report and "['m9'] name no doc" in report
    assert f'{path}:6: task: must be one of' in report
    assert '1 writing; 4 bad' in report


def test_a_held_out_mission_must_align_observations_and_gold(dataset):
    out, _ = dataset
    mission = json.loads((out / 'missions_test.jsonl').read_text().splitlines()[0])
    mission['gold_drafts'] = mission['gold_drafts'][:-1]
    from shadowhound_memory.domain.errors import InvalidRequestError
    from shadowhound_memory.training.formats import parse_line
    with pytest.raises(InvalidRequestError, match='align one to one'):
        parse_line(json.dumps(mission))
