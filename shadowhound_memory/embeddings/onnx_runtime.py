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
Sentence embeddings with ONNX Runtime: the default provider, and why the node needs no torch.

The encoder is the model's own weights exported once (``onnx_export``); tokenization is the fast
tokenizer of the model folder (the ``tokenizers`` library, Rust), and mean pooling over the
attention mask and L2 normalization are done in numpy exactly as sentence-transformers does
them, so the vectors equal the torch provider's (the tests hold them to cosine 0.999). One
intra-op thread by default: on a busy robot one thread gives steadier latency than several. The
int8 variant (weights quantized dynamically) is faster but moves the vectors (see
docs/embeddings.md for the measured cost), so it is a setting, not the default.
"""

from collections.abc import Sequence
import json
import os
import threading
from typing import Any

import numpy as np

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.embeddings.base import BUNDLED_MODEL_NAMES

EXPORT_FORMAT = 1
EXPORT_MANIFEST = 'export.json'
FP32_FILE = 'model.onnx'
INT8_FILE = 'model_int8.onnx'
TOKENIZER_FILE = 'tokenizer.json'
INPUT_NAMES = ('input_ids', 'attention_mask', 'token_type_ids')
OUTPUT_NAME = 'token_embeddings'
EXPORT_COMMAND = 'python -m shadowhound_memory.embeddings.onnx_export'
# Where exports live unless a folder is configured: beside the default store, so that a robot
# install, the tests and the node all find the same one.
MODELS_ENV = 'SHADOWHOUND_MEMORY_MODELS'
DEFAULT_MODELS_DIR = '~/.ros/shadowhound_memory/models'


def default_export_dir(model: str = 'all-MiniLM-L6-v2') -> str:
    """Return the folder the export of ``model`` is written to and looked for in."""
    base = os.path.expanduser(os.environ.get(MODELS_ENV) or DEFAULT_MODELS_DIR)
    name = 'all-MiniLM-L6-v2' if model in BUNDLED_MODEL_NAMES else \
        os.path.basename(os.path.abspath(os.path.expanduser(model)).rstrip(os.sep))
    return os.path.join(base, f'{name}-onnx')


def read_export(folder: str, quantized: bool = False) -> dict[str, Any]:
    """Return the manifest of a complete export in ``folder``, or say what is missing and why."""
    hint = (f'export it once with `{EXPORT_COMMAND}` (`make setup` does; add --model and --out '
            'for another model or folder), or set embedding_provider to torch')
    manifest_path = os.path.join(folder, EXPORT_MANIFEST)
    try:
        with open(manifest_path, encoding='utf-8') as stream:
            manifest: dict[str, Any] = json.load(stream)
    except FileNotFoundError:
        raise InvalidRequestError(f'no ONNX export of the embedding model in {folder}: '
                                  f'{hint}') from None
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(f'the ONNX export manifest {manifest_path} is unreadable '
                                  f'({exc}): {hint}') from exc
    if manifest.get('format') != EXPORT_FORMAT:
        raise InvalidRequestError(f'the ONNX export in {folder} has format '
                                  f'{manifest.get("format")!r}, not {EXPORT_FORMAT}: {hint}')
    needed = [INT8_FILE if quantized else FP32_FILE, TOKENIZER_FILE]
    missing = [name for name in needed if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        raise InvalidRequestError(f'the ONNX export in {folder} lacks {", ".join(missing)}: '
                                  f'{hint}')
    return manifest


class OnnxProvider:
    """An exported sentence-transformers encoder under ONNX Runtime, safe to call from threads."""

    def __init__(self, model: str = 'all-MiniLM-L6-v2', export_dir: str | None = None, *,
                 quantized: bool = False, batch_size: int = 32, threads: int = 1) -> None:
        if not 1 <= batch_size <= 1024 or not 1 <= threads <= 64:
            raise InvalidRequestError(f'batch_size must be 1..1024 and threads 1..64, got '
                                      f'{batch_size} and {threads}')
        import onnxruntime
        from tokenizers import Tokenizer

        self.folder = os.path.abspath(os.path.expanduser(export_dir or default_export_dir(model)))
        manifest = read_export(self.folder, quantized)
        self.model_id = str(manifest['model_id'])
        self.dimension = int(manifest['dimension'])
        self.max_seq_length = int(manifest['max_seq_length'])
        self.quantized = quantized
        self.batch_size = batch_size

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # Spinning workers would burn the cores the odometry callbacks need between queries.
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        path = os.path.join(self.folder, INT8_FILE if quantized else FP32_FILE)
        try:
            self._session = onnxruntime.InferenceSession(
                path, sess_options=options, providers=['CPUExecutionProvider'])
        except Exception as exc:  # noqa: B902 - onnxruntime raises its own untyped errors
            raise InvalidRequestError(f'ONNX Runtime cannot load {path} ({exc}); export it again '
                                      f'with `{EXPORT_COMMAND} --force`') from exc
        inputs = [node.name for node in self._session.get_inputs()]
        outputs = self._session.get_outputs()
        if inputs != list(INPUT_NAMES) or outputs[0].shape[-1] != self.dimension:
            raise InvalidRequestError(
                f'the ONNX model {path} takes {inputs} and makes {outputs[0].shape}, not '
                f'{list(INPUT_NAMES)} -> [batch, sequence, {self.dimension}]: export it again '
                f'with `{EXPORT_COMMAND} --force`')

        self._tokenizer = Tokenizer.from_file(os.path.join(self.folder, TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        pad_id = self._tokenizer.token_to_id('[PAD]')
        self._tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id,
                                       pad_token='[PAD]')
        self._lock = threading.Lock()
        # Pay ONNX Runtime's first-run allocations while the node starts.
        self.embed(['warm up'])

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one L2-normalized vector per text."""
        if not texts:
            return []
        # Batches of similar length pad least, as sentence-transformers also arranges them.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start:start + self.batch_size]
                vectors[chunk] = self._encode([texts[i] for i in chunk])
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        """Return the vector of one query."""
        return self.embed([text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        tokens = self._session.run([OUTPUT_NAME], {
            'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types})[0]
        return mean_pool_normalize(tokens, mask)


def mean_pool_normalize(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return the L2-normalized mean of the unmasked tokens (sentence-transformers' pooling)."""
    weights = mask.astype(np.float32)[:, :, None]
    summed = (tokens * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
