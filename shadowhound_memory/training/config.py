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
The LoRA training settings: one validated object, read from config/lora/*.yaml.

Every field carries help text (``--help-config`` prints it), unknown keys are refused with the
list of allowed ones (a misspelt ``learning_rate`` must not silently train with the default),
and the defaults are the design's: r 16, alpha 32, dropout 0.05 on the attention projections,
lr 1e-4, effective batch 64, two epochs.
"""

import pathlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shadowhound_memory.domain.errors import InvalidRequestError
import yaml

ATTENTION_MODULES = ('q_proj', 'k_proj', 'v_proj', 'o_proj')
MLP_MODULES = ('gate_proj', 'up_proj', 'down_proj')


class LoraTrainConfig(BaseModel):
    """How to train one task's adapter: data, LoRA shape, optimizer, stopping and saving."""

    model_config = ConfigDict(extra='forbid', validate_assignment=True)

    task: Literal['writing', 'recall'] = Field(
        description='Which adapter: writing (observation -> JSON draft) or recall (question + '
                    'memories -> cited answer).')
    base_model: str = Field(
        description='Folder of the base model (HF format with tokenizer and chat template).')
    train_file: str = Field(description='JSONL of training pairs of the task.')
    dev_file: str = Field('', description='JSONL of dev pairs for eval loss and early stopping; '
                                          'empty trains without them.')
    output_dir: str = Field(description='Where the adapter, its card and checkpoints go.')
    r: int = Field(16, ge=1, le=256,
                   description='LoRA rank; 8-16 for memory tasks. vLLM must be started with '
                               '--max-lora-rank >= r.')
    alpha: int = Field(32, ge=1, le=1024, description='LoRA alpha (scale alpha/r); usually 2r.')
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description='Dropout on the LoRA input.')
    target_modules: list[str] = Field(
        default_factory=lambda: list(ATTENTION_MODULES), min_length=1,
        description='Linear layers that get adapters: the attention projections by default.')
    include_mlp: bool = Field(False, description='Also adapt the MLP projections (gate, up, '
                                                 'down): more capacity, about 3x the weights.')
    lr: float = Field(1e-4, gt=0.0, le=1.0, description='Peak learning rate (AdamW).')
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0,
                                description='Share of the steps spent warming up the rate.')
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description='AdamW weight decay.')
    effective_batch: int = Field(64, ge=1, le=4096,
                                 description='Pairs per optimizer step (micro_batch x gradient '
                                             'accumulation).')
    micro_batch: int = Field(8, ge=1, le=512,
                             description='Pairs per forward pass; lower it when memory is short.')
    epochs: int = Field(2, ge=1, le=50, description='Passes over the training pairs.')
    max_steps: int = Field(0, ge=0, description='Stop after this many optimizer steps; 0: no '
                                                'limit beyond the epochs.')
    max_seq_len: int = Field(512, ge=32, le=32768,
                             description='Longer pairs are dropped (and counted), never cut: a '
                                         'cut target would teach truncated JSON.')
    eval_every: int = Field(20, ge=1, description='Optimizer steps between dev evaluations.')
    max_dev_pairs: int = Field(64, ge=1, description='Dev pairs used for the eval loss.')
    patience: int = Field(3, ge=1, description='Stop after this many evaluations without a '
                                               'better dev loss.')
    save_every: int = Field(20, ge=1, description='Optimizer steps between checkpoints '
                                                  '(resume with --resume).')
    few_shot: bool = Field(False, description='Train on the few-shot prompt; the adapter is '
                                              'meant to make the examples unnecessary.')
    dtype: Literal['float32', 'bfloat16', 'float16'] = Field(
        'float32', description='Type of the base weights: float32 on a CPU (bf16 is slower '
                               'there), bfloat16 on a GPU (half the memory).')
    device: Literal['auto', 'cpu', 'cuda'] = Field(
        'auto', description='Where to train; auto takes the GPU when torch sees one.')
    gradient_checkpointing: bool = Field(
        False, description='Recompute activations in the backward pass: less GPU memory for '
                           'long sequences or a 7B base, about a third slower.')
    seed: int = Field(0, description='Seed of data order, dropout and LoRA init.')
    threads: int = Field(1, ge=1, le=256, description='Torch CPU threads (1 on a shared CPU).')

    @model_validator(mode='before')
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                raise InvalidRequestError(
                    f'unknown LoRA config keys {unknown}; allowed: {sorted(cls.model_fields)}')
        return data

    @model_validator(mode='after')
    def _batch_divides(self) -> 'LoraTrainConfig':
        if self.effective_batch % self.micro_batch:
            raise ValueError(f'effective_batch ({self.effective_batch}) must be a multiple of '
                             f'micro_batch ({self.micro_batch})')
        return self

    @property
    def accumulation(self) -> int:
        """Micro-batches per optimizer step."""
        return self.effective_batch // self.micro_batch

    def modules(self) -> list[str]:
        """Return the adapted layer names, MLP included when asked."""
        extra = [m for m in MLP_MODULES if self.include_mlp and m not in self.target_modules]
        return list(self.target_modules) + extra


def load_config(path: str | pathlib.Path | None, overrides: dict[str, Any] | None = None
                ) -> LoraTrainConfig:
    """Read a YAML config and apply overrides (later wins); errors name the rule broken."""
    data: dict[str, Any] = {}
    if path:
        loaded = yaml.safe_load(pathlib.Path(path).read_text()) or {}
        if not isinstance(loaded, dict):
            raise InvalidRequestError(f'{path}: a LoRA config must be a mapping of settings')
        data.update(loaded)
    data.update(overrides or {})
    return LoraTrainConfig.model_validate(data)


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Turn ['lr=2e-4', 'include_mlp=true'] into typed values (YAML scalars)."""
    result = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise InvalidRequestError(f'override {item!r} must look like key=value')
        result[key.strip()] = yaml.safe_load(value)
    return result


def config_help() -> str:
    """Return every setting with its default and help text, for --help-config."""
    lines = []
    for name, field in LoraTrainConfig.model_fields.items():
        default = 'required' if field.is_required() else repr(field.get_default(
            call_default_factory=True))
        lines.append(f'{name:18} {default:40} {field.description}')
    return '\n'.join(lines)
