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
The adapter chain on the tiny model: generate, validate, train, save, load, merge, evaluate.

Each step asserts a real effect: the adapter moves the model's outputs, a resumed run ends where
an unbroken one does, the merged model answers as base + adapter, and metrics are counted from
the outputs the arms produced.
"""

import json
import pathlib
import shutil

import pytest
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.llm.prompts import parse_json_object
from shadowhound_memory.training import deploy, validate
from shadowhound_memory.training.config import LoraTrainConfig
from shadowhound_memory.training.evaluate import Evaluation, LocalGenerator, ServerGenerator
from shadowhound_memory.training.formats import file_sha256, HeldOutMission, read_jsonl, \
    WritingPair
from shadowhound_memory.training.train import encode_pair, pair_target, train

pytestmark = pytest.mark.slow


def _config(tiny_model, data, out, **changes):
    settings = {'task': 'writing', 'base_model': tiny_model,
                'train_file': str(data / 'writing_train.jsonl'),
                'dev_file': str(data / 'writing_dev.jsonl'), 'output_dir': str(out), 'r': 8,
                'alpha': 16, 'lr': 5e-3, 'effective_batch': 2, 'micro_batch': 2,
                'max_steps': 3, 'max_seq_len': 320, 'eval_every': 2, 'max_dev_pairs': 4,
                'save_every': 1}
    settings.update(changes)
    return LoraTrainConfig(**settings)


@pytest.fixture(scope='module')
def adapter(tiny_model, tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp('adapter') / 'writing'
    metrics = train(_config(tiny_model, tiny_data, out), progress=False)
    return out, metrics


def _prompt_ids(tiny_model, tiny_data):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    pair = read_jsonl(tiny_data / 'writing_dev.jsonl', WritingPair)[0]
    ids, labels = encode_pair(tokenizer, pair)
    import torch
    return torch.tensor([ids]), tokenizer


def _logits(model, ids):
    import torch
    with torch.no_grad():
        return model(input_ids=ids).logits[0].float()


def test_generated_data_validates(tiny_data):
    assert validate.main([str(p) for p in sorted(tiny_data.glob('*.jsonl'))]) == 0


def test_loss_falls_on_the_answer_tokens_only(tiny_model, tiny_data):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    pair = read_jsonl(tiny_data / 'writing_train.jsonl', WritingPair)[0]
    ids, labels = encode_pair(tokenizer, pair)
    answer = [t for t in labels if t != -100]
    first = labels.index(answer[0])
    assert all(t == -100 for t in labels[:first])
    assert ids[first:] == answer
    assert tokenizer.decode(answer).startswith(pair_target(pair) + '<|im_end|>')


def test_training_saves_an_adapter_peft_and_vllm_read_with_its_card(adapter, tiny_data):
    out, metrics = adapter
    assert (out / 'adapter_model.safetensors').stat().st_size > 0
    config = json.loads((out / 'adapter_config.json').read_text())
    assert config['r'] == 8 and config['lora_alpha'] == 16
    assert set(config['target_modules']) == {'q_proj', 'k_proj', 'v_proj', 'o_proj'}
    card = json.loads((out / 'adapter_card.json').read_text())
    assert card['task'] == 'writing' and card['schema_version'] == 1
    assert card['data']['train_sha256'] == file_sha256(tiny_data / 'writing_train.jsonl')
    assert card['hyperparameters']['lr'] == 5e-3 and card['date']
    assert metrics['steps'] == 3 and card['metrics']['steps'] == 3
    assert metrics['dropped_too_long'] == 0
    assert card['metrics']['best_eval_loss'] == min(
        h['eval_loss'] for h in metrics['history'] if 'eval_loss' in h)


def test_the_adapter_changes_the_models_outputs(adapter, tiny_model, tiny_data):
    import torch
    from shadowhound_memory.training.merge import load_adapted
    from transformers import AutoModelForCausalLM
    ids, _ = _prompt_ids(tiny_model, tiny_data)
    base = _logits(AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32), ids)
    adapted = load_adapted(adapter[0], tiny_model)
    assert (_logits(adapted, ids) - base).abs().max() > 0.05
    with adapted.disable_adapter():
        assert torch.allclose(_logits(adapted, ids), base, atol=1e-4)


def test_a_resumed_run_ends_where_an_unbroken_run_does(adapter, tiny_model, tiny_data,
                                                       tmp_path):
    from safetensors.torch import load_file
    config = _config(tiny_model, tiny_data, tmp_path / 'sliced')
    first = train(config, progress=False, stop_after=2)
    assert first['steps'] == 2
    second = train(config, resume=True, progress=False)
    assert second['steps'] == 3
    unbroken = load_file(str(adapter[0] / 'checkpoint' / 'adapter_model.safetensors'))
    resumed = load_file(str(tmp_path / 'sliced' / 'checkpoint' / 'adapter_model.safetensors'))
    assert unbroken.keys() == resumed.keys()
    for name, tensor in unbroken.items():
        assert (tensor - resumed[name]).abs().max() < 1e-5, name


def test_the_merged_model_answers_as_base_plus_adapter(adapter, tiny_model, tiny_data,
                                                       tmp_path):
    import torch
    from shadowhound_memory.training.merge import load_adapted, merge
    from transformers import AutoModelForCausalLM
    merged_dir = merge(adapter[0], tmp_path / 'merged', tiny_model)
    assert (merged_dir / 'model.safetensors').exists()
    assert (merged_dir / 'chat_template.jinja').exists()
    ids, _ = _prompt_ids(tiny_model, tiny_data)
    peft = _logits(load_adapted(adapter[0], tiny_model), ids)
    merged = _logits(AutoModelForCausalLM.from_pretrained(str(merged_dir),
                                                          dtype=torch.float32), ids)
    base = _logits(AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32), ids)
    # Saved in the base's bf16: not bit-equal, but far closer to base + adapter than the base is.
    assert (merged - peft).abs().mean() < 0.5 * (base - peft).abs().mean()
    assert (merged.argmax(-1) == peft.argmax(-1)).float().mean() > 0.9


def _check_arm(arm, metrics, samples, mission):
    # Two observations and one question of one mission: the samples hold every reply, so each
    # metric can be recounted here from the replies and the gold drafts.
    statuses = [s['status'] for s in samples['writing']]
    assert metrics['writing_items'] == len(statuses) == 2
    assert metrics['json_validity'] == statuses.count('ok') / len(statuses)
    valid = [s['status'] == 'ok' for s in samples['recall']]
    assert metrics['answer_json_validity'] == sum(valid) / len(valid)
    events = []
    for sample, gold in zip(samples['writing'], mission.gold_drafts):
        draft = parse_json_object(sample['output']) if sample['status'] == 'ok' else None
        events.append(float(draft is not None and draft['event'] == gold.event))
    assert metrics['event_accuracy'] == sum(events) / len(events), arm
    if 'ok' not in statuses:
        # No valid draft, no memory: nothing can be retrieved and no field can be right.
        assert metrics['field_accuracy'] == 0.0 and metrics['success_at_5'] == 0.0, arm
    assert metrics['success_at_5'] in (0.0, 1.0) and metrics['questions'] == 1
    for key, interval in metrics['ci95'].items():
        assert interval is None or interval[0] - 1e-9 <= metrics[key] <= interval[1] + 1e-9


def test_in_process_evaluation_counts_metrics_from_the_outputs(adapter, tiny_model, tiny_data,
                                                               pipeline_embedder, tmp_path):
    missions = read_jsonl(tiny_data / 'missions_test.jsonl', HeldOutMission)
    generator = LocalGenerator(tiny_model, {'writing': str(adapter[0]),
                                            'recall': str(adapter[0])})
    results = Evaluation(missions, generator, pipeline_embedder, str(tmp_path),
                         max_observations=2, max_questions=1, writing_max_tokens=48,
                         recall_max_tokens=48).run()
    # No constrained decoding in process: the schema arms are unmeasured, not invented.
    assert results['arms']['base+schema'] is None and results['arms']['adapter+schema'] is None
    for arm in ('base+prompt', 'adapter+prompt'):
        _check_arm(arm, results['arms'][arm], results['samples'][arm], missions[0])
    outputs = [[s['output'] for s in results['samples'][a]['writing']]
               for a in ('base+prompt', 'adapter+prompt')]
    assert outputs[0] != outputs[1]
    assert results['reference']['success_at_5_gold_memories'] == 1.0


def test_vllm_loads_the_adapter_at_runtime_and_serves_all_four_arms(
        adapter, llm_server, tiny_data, pipeline_embedder, tmp_path):
    from shadowhound_memory.llm.client import LlmClient
    # The session server reads adapters from its own folder: the allowlist of the runtime load.
    root = pathlib.Path(llm_server.adapter_dir)
    name = f'trained-{tmp_path.name}'[:40]
    shutil.copytree(adapter[0], root / name, ignore=shutil.ignore_patterns('checkpoint'))
    deploy.register(llm_server.url, name, root / name, root)
    with pytest.raises(InvalidRequestError, match='HTTP 400'):
        deploy.register(llm_server.url, name, root / name, root)
    client = LlmClient(llm_server.url)
    assert name in client.probe().adapters
    missions = read_jsonl(tiny_data / 'missions_test.jsonl', HeldOutMission)
    generator = ServerGenerator(llm_server.url, llm_server.base_model,
                                {'writing': name, 'recall': name})
    results = Evaluation(missions, generator, pipeline_embedder, str(tmp_path),
                         max_observations=2, max_questions=1, writing_max_tokens=48,
                         recall_max_tokens=48).run()
    for arm, metrics in results['arms'].items():
        _check_arm(arm, metrics, results['samples'][arm], missions[0])
    base = [s['output'] for s in results['samples']['base+prompt']['writing']]
    tuned = [s['output'] for s in results['samples']['adapter+prompt']['writing']]
    assert base != tuned
    client.unload_adapter(name)


def test_resume_starts_afresh_when_the_settings_changed(adapter, tiny_model, tiny_data,
                                                        tmp_path, capsys):
    config = _config(tiny_model, tiny_data, tmp_path / 'changed', max_steps=1)
    train(config, progress=False)
    changed = config.model_copy(update={'lr': 1e-3})
    assert train(changed, resume=True, progress=False)['steps'] == 1
    assert 'starting afresh' in capsys.readouterr().err


def test_vllm_serves_the_merged_model_and_it_answers_unlike_the_base(adapter, llm_server,
                                                                     tiny_model, tiny_data,
                                                                     tmp_path):
    from shadowhound_memory.llm.client import LlmClient
    from shadowhound_memory.llm.prompts import writing_messages
    from shadowhound_memory.training.merge import merge
    from shadowhound_memory.training.server import VllmServer
    from vllm_server import VENV_PYTHON
    merged = merge(adapter[0], tmp_path / 'merged', tiny_model)
    prompts = [writing_messages(p.input)
               for p in read_jsonl(tiny_data / 'writing_dev.jsonl', WritingPair)[:2]]
    base = [LlmClient(llm_server.url, timeout_s=120).chat(llm_server.base_model, m, 32).text
            for m in prompts]
    with VllmServer(str(VENV_PYTHON), str(merged), base_name='merged-writer') as server:
        client = LlmClient(server.base_url, timeout_s=120)
        assert client.probe().base_models == ['merged-writer']
        served = [client.chat('merged-writer', m, 32).text for m in prompts]
    assert served != base
