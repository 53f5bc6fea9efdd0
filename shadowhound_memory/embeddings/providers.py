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
Picks the embedding implementation the settings name.

Kept out of base.py so the interface never imports its implementations (which import it).
"""

import os

from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.embeddings.base import EmbeddingConfig, EmbeddingProvider
from shadowhound_memory.embeddings.local import SentenceTransformerProvider
from shadowhound_memory.embeddings.onnx_runtime import OnnxProvider
from shadowhound_memory.embeddings.openai_compat import OpenAIEmbeddingProvider


def make_provider(config: EmbeddingConfig) -> EmbeddingProvider:
    """
    Build the provider the settings name; the one place a provider is chosen.

    The provider modules import torch, onnxruntime or the network client only when a provider
    is built, so a node on the onnx provider never loads torch (test/ros/test_lean_node.py).
    """
    provider: EmbeddingProvider
    # Models are never downloaded at run time, whichever provider: a Hugging Face library that
    # any of them (or a later import in this process) loads must stay offline.
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
    if config.provider == 'openai':
        return OpenAIEmbeddingProvider(config.url, config.model, api_key_env=config.api_key_env,
                                       timeout_s=config.timeout_s, dimension=config.dimension)
    if config.provider == 'onnx':
        provider = OnnxProvider(config.model, config.onnx_dir or None,
                                quantized=config.quantized, batch_size=config.batch_size,
                                threads=config.threads)
    else:
        provider = SentenceTransformerProvider(config.model, batch_size=config.batch_size,
                                               threads=config.threads)
    if config.dimension is not None and config.dimension != provider.dimension:
        raise InvalidRequestError(
            f'embedding model {config.model} makes {provider.dimension}-d vectors, not the '
            f'configured {config.dimension}; fix the dimension setting or leave it empty')
    return provider
