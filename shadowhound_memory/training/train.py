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
LoRA training with PEFT on Hugging Face transformers, for the writing and the recall adapter.

Pairs go through the base model's own chat template with the same prompts the node sends
(shadowhound_memory.llm.prompts); only the answer tokens (the JSON and the end-of-turn token)
carry loss, so the adapter learns to write, not to repeat prompts. A plain loop rather than the
transformers Trainer: it needs nothing beyond torch and peft, and it checkpoints everything a
resumed run needs to continue exactly where it stopped (same data order, same dropout draws).
"""

import argparse
import datetime
import json
import math
import os
import pathlib
import random
import shutil
import sys
import time
from typing import Any

from shadowhound_memory.domain.records import SCHEMA_VERSION
from shadowhound_memory.llm.prompts import recall_messages, writing_messages
from shadowhound_memory.training.config import config_help, load_config, LoraTrainConfig, \
    parse_overrides
from shadowhound_memory.training.formats import compact_json, file_sha256, read_jsonl, \
    RecallPair, WritingPair

CHECKPOINT = 'checkpoint'
IGNORE = -100


def pair_messages(pair: WritingPair | RecallPair, few_shot: bool = False
                  ) -> list[dict[str, str]]:
    """Return the chat messages the node sends for this pair's input."""
    if isinstance(pair, WritingPair):
        return writing_messages(pair.input, few_shot=few_shot)
    return recall_messages(pair.question, [d.prompt_dict() for d in pair.docs],
                           few_shot=few_shot)


def pair_target(pair: WritingPair | RecallPair) -> str:
    """Return the answer text the model is taught: the output as compact JSON."""
    return compact_json(pair.output.model_dump())


def encode_pair(tokenizer: Any, pair: WritingPair | RecallPair, few_shot: bool = False
                ) -> tuple[list[int], list[int]]:
    """Return (input ids, labels) with the prompt's labels masked out."""
    messages = pair_messages(pair, few_shot)
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template(
        messages + [{'role': 'assistant', 'content': pair_target(pair)}], tokenize=False)
    if not full.startswith(prompt):
        raise ValueError('the chat template renders the prompt differently once an answer '
                         'follows; cannot tell answer tokens from prompt tokens')
    prompt_ids = tokenizer(prompt, add_special_tokens=False)['input_ids']
    answer_ids = tokenizer(full[len(prompt):], add_special_tokens=False)['input_ids']
    return prompt_ids + answer_ids, [IGNORE] * len(prompt_ids) + answer_ids


def encode_pairs(tokenizer: Any, pairs: list[Any], config: LoraTrainConfig
                 ) -> tuple[list[tuple[list[int], list[int]]], int]:
    """Encode pairs; return those within max_seq_len and how many were dropped."""
    kept = []
    for pair in pairs:
        ids, labels = encode_pair(tokenizer, pair, config.few_shot)
        if len(ids) <= config.max_seq_len:
            kept.append((ids, labels))
    return kept, len(pairs) - len(kept)


def collate(batch: list[tuple[list[int], list[int]]], pad_id: int, device: str = 'cpu'
            ) -> dict[str, Any]:
    """Right-pad a micro-batch; padding is masked in attention and loss."""
    import torch
    width = max(len(ids) for ids, _ in batch)
    ids = [i + [pad_id] * (width - len(i)) for i, _ in batch]
    labels = [lab + [IGNORE] * (width - len(lab)) for _, lab in batch]
    mask = [[1] * len(i) + [0] * (width - len(i)) for i, _ in batch]
    return {'input_ids': torch.tensor(ids, device=device),
            'labels': torch.tensor(labels, device=device),
            'attention_mask': torch.tensor(mask, device=device)}


def micro_batches(count: int, config: LoraTrainConfig) -> list[list[int]]:
    """Return every micro-batch of every epoch as example indices, in a seeded order."""
    batches = []
    for epoch in range(config.epochs):
        order = list(range(count))
        random.Random(config.seed * 1000 + epoch).shuffle(order)
        batches += [order[i:i + config.micro_batch] for i in range(0, count, config.micro_batch)]
    return batches


def lora_config(config: LoraTrainConfig) -> Any:
    """Return the PEFT LoraConfig for these settings."""
    from peft import LoraConfig
    return LoraConfig(r=config.r, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=config.modules(), bias='none', task_type='CAUSAL_LM')


def eval_loss(model: Any, examples: list[tuple[list[int], list[int]]], micro_batch: int,
              pad_id: int, device: str = 'cpu') -> float:
    """Return the mean answer-token loss over examples (weighted by answer tokens)."""
    import torch
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(examples), micro_batch):
            batch = collate(examples[start:start + micro_batch], pad_id, device)
            count = int((batch['labels'][:, 1:] != IGNORE).sum())
            total += float(model(**batch).loss) * count
            tokens += count
    model.train()
    return total / max(tokens, 1)


def write_card(out: pathlib.Path, config: LoraTrainConfig, metrics: dict[str, Any]) -> None:
    """Write adapter_card.json and a README.md saying what the adapter is and how it was made."""
    card: dict[str, Any] = {
        'task': config.task, 'base_model': config.base_model,
        'schema_version': SCHEMA_VERSION,
        'data': {'train_file': os.path.basename(config.train_file),
                 'train_sha256': file_sha256(config.train_file),
                 'dev_sha256': file_sha256(config.dev_file) if config.dev_file else None},
        'hyperparameters': config.model_dump(exclude={'base_model', 'train_file', 'dev_file',
                                                      'output_dir'}),
        'metrics': metrics,
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
    }
    (out / 'adapter_card.json').write_text(json.dumps(card, indent=2) + '\n')
    rows = '\n'.join(f'| {k} | {v} |' for k, v in card['hyperparameters'].items())
    metric_rows = '\n'.join(f'| {k} | {v} |' for k, v in metrics.items() if k != 'history')
    data = card['data']
    (out / 'README.md').write_text(
        f'# shadowhound_memory {config.task} adapter\n\n'
        f'LoRA adapter for the {config.task} task of shadowhound_memory (memory record schema '
        f'version {SCHEMA_VERSION}), trained {card["date"]}.\n\n'
        f'- base model: `{config.base_model}`\n'
        f'- training data: `{data["train_file"]}` sha256 `{data["train_sha256"]}`\n\n'
        f'| metric | value |\n| --- | --- |\n{metric_rows}\n\n'
        f'| hyperparameter | value |\n| --- | --- |\n{rows}\n')


def train(config: LoraTrainConfig, resume: bool = False, progress: bool = True,
          stop_after: int = 0) -> dict[str, Any]:
    """
    Train, keep the best adapter by dev loss in output_dir, and return the metrics.

    stop_after > 0 checkpoints and returns after that many steps of this run, so a long run can
    be done in slices on a shared machine (each slice resumed with resume=True).
    """
    import torch
    from peft import get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer, \
        get_linear_schedule_with_warmup

    torch.set_num_threads(config.threads)
    out = pathlib.Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / CHECKPOINT
    kind = WritingPair if config.task == 'writing' else RecallPair
    tokenizer = AutoTokenizer.from_pretrained(config.base_model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else \
        tokenizer.eos_token_id
    train_examples, dropped = encode_pairs(tokenizer, read_jsonl(config.train_file, kind), config)
    if not train_examples:
        raise ValueError(f'no training pair fits max_seq_len={config.max_seq_len}')
    dev_examples: list[tuple[list[int], list[int]]] = []
    if config.dev_file:
        dev_pairs = read_jsonl(config.dev_file, kind)[:config.max_dev_pairs]
        dev_examples, _ = encode_pairs(tokenizer, dev_pairs, config)

    torch.manual_seed(config.seed)
    device = config.device if config.device != 'auto' else \
        ('cuda' if torch.cuda.is_available() else 'cpu')
    base = AutoModelForCausalLM.from_pretrained(config.base_model,
                                                dtype=getattr(torch, config.dtype))
    if config.gradient_checkpointing:
        base.gradient_checkpointing_enable()
        base.enable_input_require_grads()
    # PEFT keeps the LoRA weights in float32 whatever the base's type, so AdamW stays exact.
    model = get_peft_model(base, lora_config(config)).to(device)
    model.train()
    batches = micro_batches(len(train_examples), config)
    total_steps = math.ceil(len(batches) / config.accumulation)
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=config.lr, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(config.warmup_ratio * total_steps), total_steps)
    # A checkpoint continues only the run it came from: same data, same settings.
    fingerprint = {'train_sha256': file_sha256(config.train_file),
                   'config': config.model_dump(exclude={'output_dir', 'threads', 'device'})}
    state: dict[str, Any] = {'step': 0, 'best_eval_loss': None, 'bad_evals': 0, 'history': [],
                             'seconds': 0.0, 'fingerprint': fingerprint}
    saved = json.loads((checkpoint / 'state.json').read_text()) \
        if resume and (checkpoint / 'state.json').exists() else None
    if saved is not None and not _same_run(saved.get('fingerprint') or {}, fingerprint):
        print(f'train: {checkpoint} is from other data or settings; starting afresh',
              file=sys.stderr)
        saved = None
    if saved is not None:
        set_peft_model_state_dict(model, load_file(str(checkpoint / 'adapter_model.safetensors'),
                                                   device=device))
        optimizer.load_state_dict(torch.load(checkpoint / 'optimizer.pt', map_location=device))
        scheduler.load_state_dict(torch.load(checkpoint / 'scheduler.pt'))
        state = saved

    def evaluate_and_keep() -> bool:
        """Evaluate on dev, save the adapter if best; return whether to stop early."""
        loss = eval_loss(model, dev_examples, config.micro_batch, pad_id, device)
        state['history'][-1]['eval_loss'] = loss
        if state['best_eval_loss'] is None or loss < state['best_eval_loss'] - 1e-4:
            state['best_eval_loss'], state['bad_evals'] = loss, 0
            model.save_pretrained(str(out))
            return False
        state['bad_evals'] += 1
        return state['bad_evals'] >= config.patience

    bar = tqdm(total=total_steps, initial=state['step'], disable=not progress,
               desc=f'train {config.task}', unit='step')
    stopped_early = False
    started = time.monotonic() - state['seconds']
    first_step = state['step']
    while state['step'] < total_steps and not stopped_early:
        step = state['step']
        # Seeded per step, so a resumed run draws the same dropout masks as an unbroken one.
        torch.manual_seed(config.seed * 100_003 + step)
        group = batches[step * config.accumulation:(step + 1) * config.accumulation]
        loss_sum = 0.0
        for indices in group:
            batch = collate([train_examples[i] for i in indices], pad_id, device)
            loss = model(**batch).loss / len(group)
            loss.backward()
            loss_sum += float(loss.detach())
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        state['step'] = step + 1
        state['history'].append({'step': step + 1, 'train_loss': loss_sum})
        bar.update(1)
        bar.set_postfix(loss=f'{loss_sum:.3f}')
        last = state['step'] == total_steps
        if dev_examples and (state['step'] % config.eval_every == 0 or last):
            stopped_early = evaluate_and_keep()
        sliced = bool(stop_after) and state['step'] - first_step >= stop_after
        if state['step'] % config.save_every == 0 or last or stopped_early or sliced:
            state['seconds'] = time.monotonic() - started
            _save_checkpoint(model, optimizer, scheduler, state, checkpoint)
        if sliced:
            break
    bar.close()
    if not dev_examples:
        model.save_pretrained(str(out))
    metrics = {
        'device': device, 'steps': state['step'], 'planned_steps': total_steps,
        'stopped_early': stopped_early,
        'train_pairs': len(train_examples), 'dropped_too_long': dropped,
        'dev_pairs': len(dev_examples), 'final_train_loss': state['history'][-1]['train_loss']
        if state['history'] else None,
        'best_eval_loss': state['best_eval_loss'],
        'train_seconds': round(time.monotonic() - started, 1), 'history': state['history'],
    }
    _fix_base_path(out, config.base_model)
    write_card(out, config, metrics)
    return metrics


def _same_run(saved: dict[str, Any], current: dict[str, Any]) -> bool:
    """Return whether a checkpoint's data and settings are this run's."""
    if saved.get('train_sha256') != current['train_sha256']:
        return False
    old = saved.get('config', {})
    fields = LoraTrainConfig.model_fields
    # A setting added since the checkpoint was written matches when it is at its default.
    return all(old[k] == v if k in old else
               v == fields[k].get_default(call_default_factory=True)
               for k, v in current['config'].items())


def _save_checkpoint(model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any],
                     checkpoint: pathlib.Path) -> None:
    import torch
    partial = checkpoint.with_name(CHECKPOINT + '.partial')
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(str(partial))
    torch.save(optimizer.state_dict(), partial / 'optimizer.pt')
    torch.save(scheduler.state_dict(), partial / 'scheduler.pt')
    (partial / 'state.json').write_text(json.dumps(state))
    # Swapped in whole, so a run killed while saving resumes from the previous checkpoint.
    shutil.rmtree(checkpoint, ignore_errors=True)
    partial.rename(checkpoint)


def _fix_base_path(out: pathlib.Path, base_model: str) -> None:
    # PEFT records the base as it was named; an absolute path lets PEFT and vLLM find it from
    # any working directory.
    path = out / 'adapter_config.json'
    data = json.loads(path.read_text())
    if os.path.isdir(base_model):
        data['base_model_name_or_path'] = os.path.abspath(base_model)
    path.write_text(json.dumps(data, indent=2) + '\n')


def main(argv: list[str] | None = None) -> int:
    """Train an adapter from a config file and overrides."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.training.train',
        description='Train a LoRA adapter (writing or recall) with PEFT; saves '
                    'adapter_model.safetensors, adapter_config.json and an adapter card.')
    parser.add_argument('--config', help='YAML file of settings (config/lora/*.yaml).')
    parser.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                        help='Override a setting, e.g. --set lr=2e-4 (repeatable).')
    parser.add_argument('--resume', action='store_true',
                        help='Continue from output_dir/checkpoint if there is one.')
    parser.add_argument('--stop-after', type=int, default=0, metavar='STEPS',
                        help='Checkpoint and stop after this many steps (train in slices).')
    parser.add_argument('--no-progress', action='store_true', help='No progress bar.')
    parser.add_argument('--help-config', action='store_true',
                        help='List every setting with its default and meaning.')
    args = parser.parse_args(argv)
    if args.help_config:
        print(config_help())
        return 0
    config = load_config(args.config, parse_overrides(args.set))
    metrics = train(config, resume=args.resume, progress=not args.no_progress,
                    stop_after=args.stop_after)
    summary = {k: v for k, v in metrics.items() if k != 'history'}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
