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
Export a sentence-transformers model to ONNX once, from the weights on disk (never downloaded).

The ONNX Runtime provider runs the exported encoder without torch, so the memory node stays small;
this module is the only place that needs torch for it, and only once per model. It writes the
fp32 encoder, a dynamically quantized int8 variant, the fast tokenizer and ``export.json`` (what
the provider checks before it trusts the folder) into a temporary folder that is renamed into
place, so a half-written export is never found. Run it on a robot with::

    python -m shadowhound_memory.embeddings.onnx_export            # the bundled MiniLM
    python -m shadowhound_memory.embeddings.onnx_export --model DIR --out OUT
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from typing import Any

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.embeddings.local import resolve_model_path
from shadowhound_memory.embeddings.onnx_runtime import (
    default_export_dir, EXPORT_FORMAT, EXPORT_MANIFEST, FP32_FILE, INPUT_NAMES, INT8_FILE,
    OUTPUT_NAME, TOKENIZER_FILE)


def _fingerprint(folder: str) -> str:
    """Hash the weights so that an export can tell whether it still matches its source."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        if name.endswith(('.safetensors', '.bin')):
            with open(os.path.join(folder, name), 'rb') as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b''):
                    digest.update(chunk)
    return digest.hexdigest()


def _pooling_settings(folder: str) -> dict[str, Any]:
    """Return the sentence-transformers settings the provider must reproduce, checked."""
    settings: dict[str, Any] = {'max_seq_length': 512, 'do_lower_case': False}
    path = os.path.join(folder, 'sentence_bert_config.json')
    if os.path.isfile(path):
        with open(path, encoding='utf-8') as stream:
            settings.update(json.load(stream))
    pooling_path = os.path.join(folder, '1_Pooling', 'config.json')
    if os.path.isfile(pooling_path):
        with open(pooling_path, encoding='utf-8') as stream:
            pooling = json.load(stream)
        if not pooling.get('pooling_mode_mean_tokens', False) or any(
                pooling.get(key, False) for key in (
                    'pooling_mode_cls_token', 'pooling_mode_max_tokens',
                    'pooling_mode_mean_sqrt_len_tokens')):
            raise InvalidRequestError(
                f'{folder} pools otherwise than by the mean of its tokens; the ONNX provider '
                'reproduces mean pooling only: use embedding_provider torch for this model')
    if settings.get('do_lower_case'):
        raise InvalidRequestError(f'{folder} lowercases in sentence-transformers; the ONNX '
                                  'provider does not: use embedding_provider torch for it')
    return settings


def fresh_export(out_dir: str, source: str) -> bool:
    """Return whether ``out_dir`` holds a complete export of the weights in ``source``."""
    try:
        with open(os.path.join(out_dir, EXPORT_MANIFEST), encoding='utf-8') as stream:
            manifest = json.load(stream)
    except (OSError, ValueError):
        return False
    files_there = all(os.path.isfile(os.path.join(out_dir, name))
                      for name in (FP32_FILE, INT8_FILE, TOKENIZER_FILE))
    return files_there and manifest.get('format') == EXPORT_FORMAT and \
        manifest.get('source_sha256') == _fingerprint(source)


def export(model: str = 'all-MiniLM-L6-v2', out_dir: str | None = None, *,
           force: bool = False) -> str:
    """Export ``model`` (bundled name or folder) to ``out_dir``; return the folder."""
    source, model_id = resolve_model_path(model)
    target = os.path.abspath(os.path.expanduser(out_dir or default_export_dir(model)))
    if not force and fresh_export(target, source):
        return target
    settings = _pooling_settings(source)
    if not os.path.isfile(os.path.join(source, TOKENIZER_FILE)):
        raise InvalidRequestError(f'{source} has no {TOKENIZER_FILE} (a fast tokenizer); the '
                                  'ONNX provider needs one: use embedding_provider torch')
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        """Calls the model by keyword: transformers 5 takes other arguments positionally."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    encoder = Encoder(AutoModel.from_pretrained(source, local_files_only=True)).eval()
    dimension = int(getattr(encoder.inner, 'config').hidden_size)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    work = tempfile.mkdtemp(prefix='.export-', dir=os.path.dirname(target))
    try:
        sample = torch.ones((2, 8), dtype=torch.long)
        axes = {0: 'batch', 1: 'sequence'}
        with torch.no_grad():
            torch.onnx.export(
                encoder, (sample, sample, torch.zeros_like(sample)),
                os.path.join(work, FP32_FILE), dynamo=False, opset_version=17,
                input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
                dynamic_axes={**{name: axes for name in INPUT_NAMES}, OUTPUT_NAME: axes})
        from onnxruntime.quantization import quantize_dynamic, QuantType
        quantize_dynamic(os.path.join(work, FP32_FILE), os.path.join(work, INT8_FILE),
                         weight_type=QuantType.QInt8)
        shutil.copyfile(os.path.join(source, TOKENIZER_FILE), os.path.join(work, TOKENIZER_FILE))
        manifest = {
            'format': EXPORT_FORMAT, 'model_id': model_id, 'dimension': dimension,
            'max_seq_length': int(settings['max_seq_length']), 'inputs': list(INPUT_NAMES),
            'output': OUTPUT_NAME, 'pooling': 'mean', 'normalize': True,
            'source_sha256': _fingerprint(source), 'torch': torch.__version__}
        with open(os.path.join(work, EXPORT_MANIFEST), 'w', encoding='utf-8') as stream:
            json.dump(manifest, stream, indent=2)
        # mkdtemp made it private; the node may run as another user than setup.
        os.chmod(work, 0o755)
        if os.path.isdir(target):
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    """Export from the command line; a second run with nothing changed does nothing."""
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--model', default='all-MiniLM-L6-v2',
                        help='the bundled all-MiniLM-L6-v2 or a sentence-transformers folder')
    parser.add_argument('--out', default=None,
                        help='where to write (default: where the provider looks)')
    parser.add_argument('--force', action='store_true', help='export even if up to date')
    args = parser.parse_args(argv)
    try:
        target = export(args.model, args.out, force=args.force)
    except InvalidRequestError as exc:
        print(f'onnx_export: {exc}', file=sys.stderr)
        return 2
    print(target)
    return 0


if __name__ == '__main__':
    sys.exit(main())
