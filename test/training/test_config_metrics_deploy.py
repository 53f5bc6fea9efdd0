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


"""Training config validation, metrics, the report's rule of thumb, adapter deployment checks."""

import json

import pytest
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.training import deploy, metrics, report
from shadowhound_memory.training.config import config_help, load_config, LoraTrainConfig, \
    parse_overrides
from shadowhound_memory.training.formats import Answer, Draft

REQUIRED = {'task': 'writing', 'base_model': 'm', 'train_file': 't', 'output_dir': 'o'}


def test_config_defaults_are_the_designs():
    config = LoraTrainConfig(**REQUIRED)
    assert (config.r, config.alpha, config.dropout, config.lr) == (16, 32, 0.05, 1e-4)
    assert config.effective_batch == 64 and config.accumulation == 8
    assert config.modules() == ['q_proj', 'k_proj', 'v_proj', 'o_proj']
    assert config.model_copy(update={'include_mlp': True}).modules()[-3:] == \
        ['gate_proj', 'up_proj', 'down_proj']


def test_unknown_config_keys_are_refused_with_the_allowed_list(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('task: writing\nlearning_rate: 0.1\n')
    with pytest.raises(InvalidRequestError, match=r"\['learning_rate'\]; allowed: .*'lr'"):
        load_config(path, {})


def test_batch_must_divide_and_overrides_are_typed():
    with pytest.raises(ValueError, match='multiple of micro_batch'):
        LoraTrainConfig(**REQUIRED, effective_batch=10, micro_batch=4)
    overrides = parse_overrides(['lr=2e-4', 'include_mlp=true', 'r=8'])
    config = load_config(None, {**REQUIRED, **overrides})
    assert (config.lr, config.include_mlp, config.r) == (2e-4, True, 8)
    with pytest.raises(InvalidRequestError, match='key=value'):
        parse_overrides(['lr'])


def test_every_config_field_has_help_text():
    assert all(f.description for f in LoraTrainConfig.model_fields.values())
    assert 'effective_batch' in config_help()


def test_parse_statuses_tell_truncation_from_garbage_from_schema_breaks():
    good = '{"event":"object_seen","text":"A red ball.","tags":["object:red_ball"]}'
    assert metrics.parse_json_output(good, 'stop', Draft)[1] == 'ok'
    assert metrics.parse_json_output(good[:30], 'length', Draft)[1] == 'truncated'
    assert metrics.parse_json_output('Sure! Here it is', 'stop', Draft)[1] == 'not_json'
    bad = '{"event":"Object Seen","text":"x","tags":[]}'
    assert metrics.parse_json_output(bad, 'stop', Draft)[1] == 'schema'


def test_field_scores_compare_with_gold():
    gold = Draft(event='object_seen', text='A red ball near the sofa in the living room.',
                 tags=['object:red_ball', 'room:living_room'])
    same = metrics.field_scores(gold, gold)
    assert same['field_accuracy'] == 1.0
    other = Draft(event='note', text='A red ball.', tags=['object:red_ball'])
    scores = metrics.field_scores(other, gold)
    assert scores['event_accuracy'] == 0.0
    assert scores['tags_f1'] == pytest.approx(2 / 3)
    assert scores['text_recall'] == pytest.approx(2 / 5)
    assert metrics.field_scores(None, gold)['field_accuracy'] == 0.0


def test_groundedness_counts_clauses_supported_by_cited_memories():
    docs = [{'text': 'A red ball near the sofa in the living room.', 'tags': ['room:living_room']}]
    assert metrics.groundedness('The red ball was near the sofa [m1].', docs) == 1.0
    answer = 'The red ball was near the sofa. Alice took it to the garage yesterday.'
    assert metrics.groundedness(answer, docs) == 0.5
    assert metrics.groundedness('The red ball was near the sofa.', []) == 0.0


def test_success_at_k_looks_only_at_the_first_k():
    assert metrics.success_at_k(['a', 'b', 'c'], {'c'}, 3) == 1.0
    assert metrics.success_at_k(['a', 'b', 'c'], {'c'}, 2) == 0.0
    assert metrics.success_at_k(['a'], set(), 5) == 0.0


def _results(validity, success, ceiling, grounded):
    arm = {'json_validity': validity, 'success_at_5': success, 'groundedness': grounded,
           'answer_cites_gold': grounded}
    return {'arms': {'base+prompt': arm, 'base+schema': arm, 'adapter+prompt': None,
                     'adapter+schema': None},
            'reference': {'success_at_5_gold_memories': ceiling}}


def test_rule_of_thumb_follows_the_measured_base_arms():
    low = report.recommendation(_results(0.9, 0.5, 0.9, 0.95))
    assert 'Add a writing adapter' in low[0] and '90.0%' in low[0]
    assert 'not plateaued' in low[1]
    high = report.recommendation(_results(0.99, 0.89, 0.9, 0.5))
    assert 'stay with prompting' in high[0]
    assert 'Add a recall adapter' in high[1]
    fine = report.recommendation(_results(1.0, 0.9, 0.9, 0.95))
    assert all('Add' not in line for line in fine)


def test_report_has_a_table_with_every_arm_and_ends_with_the_rule(tmp_path):
    results = _results(0.5, 0.4, 0.9, 0.3)
    results['arms']['adapter+prompt'] = {'json_validity': 0.75, 'success_at_5': 0.6}
    path = report.write_report(results, tmp_path)
    text = path.read_text()
    assert '| JSON validity (writing) | 0.500 | 0.500 | 0.750 | n/a |' in text
    assert text.rstrip().splitlines()[-2].startswith('- **Add a writing adapter**')


def test_report_shows_both_sets_with_intervals_and_rules_on_the_ood_one(tmp_path):
    ood = _results(0.9, 0.5, 0.9, 0.95)
    ood['arms']['base+prompt'] = dict(ood['arms']['base+prompt'],
                                      ci95={'json_validity': [0.85, 0.94]})
    in_distribution = _results(1.0, 0.9, 0.9, 0.95)
    results = {'in_distribution': in_distribution, 'ood': ood,
               'reference': {'generation': 'vllm'}}
    text = report.write_report(results, tmp_path).read_text()
    assert text.index('## Out of distribution') < text.index('## In distribution')
    assert '| JSON validity (writing) | 0.900 [0.850, 0.940] | 0.900 |' in text
    rule = text[text.index('## Rule of thumb'):]
    assert '(Out of distribution)' in rule.splitlines()[0]
    # In distribution every base arm meets the rule; out of distribution none does.
    assert '**Add a writing adapter**' in rule and '(95% interval 0.85-0.94)' in rule


@pytest.fixture
def adapter_root(tmp_path):
    root = tmp_path / 'adapters'
    folder = root / 'writer'
    folder.mkdir(parents=True)
    (folder / 'adapter_config.json').write_text(json.dumps({'r': 8}))
    (folder / 'adapter_model.safetensors').write_bytes(b'')
    return root


def test_deploy_accepts_a_complete_adapter_inside_the_allowlist(adapter_root):
    assert deploy.check_adapter('writer', adapter_root / 'writer', adapter_root) == \
        (adapter_root / 'writer').resolve()


@pytest.mark.parametrize('name', ['../x', 'a/b', 'a b', '', '-x', 'x' * 70])
def test_deploy_refuses_names_that_are_not_plain_identifiers(adapter_root, name):
    with pytest.raises(InvalidRequestError, match='adapter name'):
        deploy.check_adapter(name, adapter_root / 'writer', adapter_root)


def test_deploy_refuses_folders_outside_the_allowlist_even_through_links(adapter_root, tmp_path):
    outside = tmp_path / 'elsewhere'
    outside.mkdir()
    with pytest.raises(InvalidRequestError, match='not inside the allowlisted'):
        deploy.check_adapter('writer', outside, adapter_root)
    (adapter_root / 'link').symlink_to(outside)
    with pytest.raises(InvalidRequestError, match='not inside the allowlisted'):
        deploy.check_adapter('writer', adapter_root / 'link', adapter_root)
    with pytest.raises(InvalidRequestError, match='not inside the allowlisted'):
        deploy.check_adapter('writer', adapter_root / 'writer' / '..' / '..', adapter_root)


def test_deploy_refuses_incomplete_or_too_wide_adapters(adapter_root):
    (adapter_root / 'writer' / 'adapter_model.safetensors').unlink()
    with pytest.raises(InvalidRequestError, match='adapter_model.safetensors'):
        deploy.check_adapter('writer', adapter_root / 'writer', adapter_root)
    (adapter_root / 'writer' / 'adapter_model.safetensors').write_bytes(b'')
    with pytest.raises(InvalidRequestError, match='max-lora-rank 4'):
        deploy.check_adapter('writer', adapter_root / 'writer', adapter_root, max_lora_rank=4)


def test_deploy_without_a_server_prints_serve_flags_and_routing(adapter_root, capsys):
    code = deploy.main(['--task', 'writing', '--name', 'writer', '--adapter',
                        str(adapter_root / 'writer'), '--adapter-root', str(adapter_root),
                        '--base-model', '/models/base'])
    out = capsys.readouterr().out
    assert code == 0
    assert f"--lora-modules writer={(adapter_root / 'writer').resolve()}" in out
    assert '--enable-lora' in out and '--max-lora-rank 16' in out
    assert '--served-model-name base' in out
    assert 'adapter_mode: writing' in out and 'llm_writing_adapter: writer' in out
    assert f'llm_adapter_dir: {adapter_root.resolve()}' in out


def test_answers_must_be_json_with_an_answer():
    assert metrics.parse_json_output('{"answer":"x","citations":[]}', 'stop', Answer)[1] == 'ok'
    assert metrics.parse_json_output('{"answer":""}', 'stop', Answer)[1] == 'schema'


def test_a_checkpoint_from_before_a_new_setting_resumes_only_at_its_default():
    from shadowhound_memory.training.train import _same_run
    config = LoraTrainConfig(**REQUIRED).model_dump()
    current = {'train_sha256': 'abc', 'config': config}
    older = {'train_sha256': 'abc', 'config': {k: v for k, v in config.items() if k != 'dtype'}}
    assert _same_run(older, current)
    assert not _same_run(older, {'train_sha256': 'abc', 'config': {**config, 'dtype': 'bfloat16'}})
    assert not _same_run({**older, 'train_sha256': 'other'}, current)
    assert not _same_run({'train_sha256': 'abc', 'config': {**config, 'lr': 0.5}}, current)


def test_deploy_of_a_merged_model_serves_it_as_its_own_model(tmp_path, capsys):
    merged = tmp_path / 'writing-merged'
    merged.mkdir()
    args = ['--task', 'writing', '--name', 'smollm2-writer', '--adapter', str(merged),
            '--merged']
    assert deploy.main(args) == 2
    assert 'not a merged model folder' in capsys.readouterr().err
    (merged / 'config.json').write_text('{}')
    (merged / 'model.safetensors').write_bytes(b'')
    assert deploy.main(args) == 0
    out = capsys.readouterr().out
    assert f'--model {merged} --served-model-name smollm2-writer' in out
    assert '--enable-lora' not in out
    assert 'llm_topology: merged' in out and 'llm_writing_model: smollm2-writer' in out
