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
Merge an adapter into its base model, for servers that cannot load LoRA adapters at run time.

The merged folder is a plain model (weights, config, tokenizer, chat template) that vLLM or
transformers serve like the base; it answers as base + adapter did, at base-model speed, but it
serves only that one task.
"""

import argparse
import json
import pathlib
import shutil
import sys
from typing import Any

TOKENIZER_FILES = ('tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
                   'chat_template.jinja', 'generation_config.json', 'vocab.json', 'merges.txt')


def load_adapted(adapter_dir: str | pathlib.Path, base_model: str | None = None,
                 dtype: Any = None) -> Any:
    """Return the base model with the adapter applied (PEFT), in eval mode."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    config = json.loads((pathlib.Path(adapter_dir) / 'adapter_config.json').read_text())
    base_path = base_model or config['base_model_name_or_path']
    base = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype or torch.float32)
    return PeftModel.from_pretrained(base, str(adapter_dir)).eval()


def merge(adapter_dir: str | pathlib.Path, out_dir: str | pathlib.Path,
          base_model: str | None = None) -> pathlib.Path:
    """Write base + adapter as one model folder with the base's tokenizer files."""
    import torch
    config = json.loads((pathlib.Path(adapter_dir) / 'adapter_config.json').read_text())
    base_path = pathlib.Path(base_model or config['base_model_name_or_path'])
    # Merged in float32 and saved in the base's own dtype, so rounding happens once.
    merged = load_adapted(adapter_dir, str(base_path), torch.float32).merge_and_unload()
    base_config = json.loads((base_path / 'config.json').read_text())
    base_dtype = base_config.get('dtype') or base_config.get('torch_dtype') or 'float32'
    merged = merged.to(getattr(torch, str(base_dtype)))
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out), safe_serialization=True)
    for name in TOKENIZER_FILES:
        if (base_path / name).exists():
            shutil.copy2(base_path / name, out / name)
    card = pathlib.Path(adapter_dir) / 'adapter_card.json'
    if card.exists():
        shutil.copy2(card, out / 'merged_from_adapter_card.json')
    return out


def main(argv: list[str] | None = None) -> int:
    """Merge from the command line."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.training.merge',
        description='Merge a LoRA adapter into its base (merge_and_unload) and save a model '
                    'folder that servers without dynamic LoRA can serve.')
    parser.add_argument('adapter', help='Adapter folder (adapter_config.json + safetensors).')
    parser.add_argument('--out', required=True, help='Folder for the merged model.')
    parser.add_argument('--base-model', help="Base model folder; default: the adapter's own.")
    args = parser.parse_args(argv)
    print(merge(args.adapter, args.out, args.base_model))
    return 0


if __name__ == '__main__':
    sys.exit(main())
