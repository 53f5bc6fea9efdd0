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
Smoke-test LoRA adapters: the real PEFT file format with seeded random weights.

Serving, routing and runtime loading can be checked without training: vLLM loads such an
adapter exactly like a trained one, and its non-zero B matrices change the model's outputs, so a
test can tell the adapter route from the base route. It has learned nothing; trained adapters
come from the training pipeline.
"""

import json
import os
from typing import Any

import numpy as np

# Layer weights of a Llama-style model's attention projections, as PEFT names them.
_KEY = 'base_model.model.model.layers.{layer}.self_attn.{module}.lora_{ab}.weight'


def write_random_adapter(model_dir: str, out_dir: str, rank: int = 8, alpha: int = 16,
                         seed: int = 0, scale: float = 0.05) -> str:
    """
    Write an adapter for the Llama-style model in ``model_dir`` to ``out_dir``; return it.

    q_proj and v_proj get A and B matrices drawn from N(0, scale^2); with the default scale the
    greedy outputs of a small model change while staying fluent enough to parse.
    """
    from safetensors.numpy import save_file

    with open(os.path.join(model_dir, 'config.json')) as f:
        config: dict[str, Any] = json.load(f)
    hidden = int(config['hidden_size'])
    head_dim = int(config.get('head_dim') or hidden // int(config['num_attention_heads']))
    outputs = {'q_proj': int(config['num_attention_heads']) * head_dim,
               'v_proj': int(config.get('num_key_value_heads') or
                             config['num_attention_heads']) * head_dim}
    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in range(int(config['num_hidden_layers'])):
        for module, out_features in outputs.items():
            tensors[_KEY.format(layer=layer, module=module, ab='A')] = \
                (rng.standard_normal((rank, hidden)) * scale).astype(np.float32)
            tensors[_KEY.format(layer=layer, module=module, ab='B')] = \
                (rng.standard_normal((out_features, rank)) * scale).astype(np.float32)
    os.makedirs(out_dir, exist_ok=True)
    save_file(tensors, os.path.join(out_dir, 'adapter_model.safetensors'))
    adapter_config = {
        'peft_type': 'LORA', 'task_type': 'CAUSAL_LM', 'r': rank, 'lora_alpha': alpha,
        'lora_dropout': 0.0, 'target_modules': sorted(outputs), 'bias': 'none',
        'fan_in_fan_out': False, 'modules_to_save': None, 'use_rslora': False,
        'base_model_name_or_path': os.path.abspath(model_dir), 'inference_mode': True,
    }
    with open(os.path.join(out_dir, 'adapter_config.json'), 'w') as f:
        json.dump(adapter_config, f, indent=2)
    return out_dir
