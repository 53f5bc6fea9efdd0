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

"""The embedding provider interface and its settings; implementations live beside it."""

from collections.abc import Sequence
import math
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


BUNDLED_MODEL_NAMES = ('all-MiniLM-L6-v2', 'sentence-transformers/all-MiniLM-L6-v2')


class EmbeddingProvider(Protocol):
    """
    Turns text into unit-length vectors; ``model_id`` is stored with the collection.

    Read-only properties, so that a remote provider may learn its dimension on first use.
    """

    @property
    def model_id(self) -> str:
        """Return the stable name of the model, recorded with the collection."""

    @property
    def dimension(self) -> int:
        """Return the size of the vectors."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one L2-normalized vector per text."""

    def embed_query(self, text: str) -> list[float]:
        """Return the vector of one query."""


class EmbeddingConfig(BaseModel):
    """Which embedding model serves the memory, and how."""

    model_config = ConfigDict(extra='forbid')

    provider: Literal['onnx', 'torch', 'openai'] = Field(
        'onnx', description='onnx: the model exported to ONNX, run by ONNX Runtime in-process '
                            '(no torch); torch: sentence-transformers in-process; openai: an '
                            'OpenAI-compatible /v1/embeddings endpoint.')
    quantized: bool = Field(False, description='onnx: run the int8 export (faster, vectors move; '
                                               'see docs/embeddings.md).')
    onnx_dir: str = Field('', description='onnx: folder of the export; empty: where '
                                          'onnx_export writes by default.')
    model: str = Field('all-MiniLM-L6-v2', min_length=1,
                       description='The bundled all-MiniLM-L6-v2, a local model folder, or the '
                                   'endpoint model name.')
    dimension: int | None = Field(None, ge=1, le=65536,
                                  description='Expected vector size; checked when given.')
    batch_size: int = Field(32, ge=1, le=1024, description='Texts per encode call.')
    threads: int = Field(1, ge=1, le=64,
                         description='Intra-op threads; 1 gives steady latency on a busy robot.')
    url: str = Field('', description='Base URL of the embeddings endpoint (openai provider).')
    api_key_env: str = Field('OPENAI_API_KEY', pattern=r'^[A-Za-z_][A-Za-z0-9_]{0,127}$',
                             description='Environment variable holding the API key.')
    timeout_s: float = Field(10.0, gt=0.0, le=600.0, description='Per-request timeout.')


def l2_normalize(vector: Sequence[float]) -> list[float]:
    """Scale a vector to unit length (cosine similarity then equals the dot product)."""
    norm = math.sqrt(sum(v * v for v in vector))
    return [float(v) / norm for v in vector] if norm > 0 else [float(v) for v in vector]
