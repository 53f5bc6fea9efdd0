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
Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, vLLM, llama.cpp).

For robots that delegate embedding to a server. Uses the standard library only, so the
dependency set stays the same as for local embeddings. Every request has a timeout, and every
failure (unreachable, slow, malformed answer) is a BackendUnavailableError saying what went
wrong, so the node can report it and retry instead of storing wrong vectors. The API key is read
from the environment on each request and never logged.
"""

from collections.abc import Sequence
import http.client
import json
import logging
import math
import os
import threading
from typing import Any
import urllib.error
import urllib.request

from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError
from shadowhound_memory.embeddings.base import l2_normalize

_LOG = logging.getLogger(__name__)

# Texts per request: keeps request bodies small for servers with tight size limits.
MAX_TEXTS_PER_REQUEST = 128


def endpoint_url(url: str) -> str:
    """Return the embeddings URL for a base URL given with or without its /v1 suffix."""
    base = url.rstrip('/')
    if base.endswith('/v1'):
        base = base[:-len('/v1')]
    return base + '/v1/embeddings'


class OpenAIEmbeddingProvider:
    """A remote embedding model behind the OpenAI embeddings API."""

    def __init__(self, url: str, model: str, api_key_env: str = 'OPENAI_API_KEY',
                 timeout_s: float = 10.0, dimension: int | None = None) -> None:
        if not url.startswith(('http://', 'https://')):
            raise InvalidRequestError(
                f'embedding url {url!r} must start with http:// or https:// (the base URL of an '
                'OpenAI-compatible server, e.g. http://localhost:8000)')
        if not model:
            raise InvalidRequestError('the openai embedding provider needs a model name')
        if timeout_s <= 0:
            raise InvalidRequestError(f'timeout_s must be positive, got {timeout_s}')
        self.url = endpoint_url(url)
        self._model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self._dimension = dimension
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Return the endpoint's model name, recorded with the collection."""
        return self._model

    @property
    def dimension(self) -> int:
        """Return the vector size, asking the endpoint once when it was not configured."""
        if self._dimension is None:
            self._dimension = len(self.embed(['dimension probe'])[0])
        return self._dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one L2-normalized vector per text."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), MAX_TEXTS_PER_REQUEST):
            vectors += self._request(list(texts[start:start + MAX_TEXTS_PER_REQUEST]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Return the vector of one query."""
        return self.embed([text])[0]

    def _request(self, texts: list[str]) -> list[list[float]]:
        body = json.dumps({'model': self._model, 'input': texts}).encode()
        headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        api_key = os.environ.get(self.api_key_env, '')
        if api_key:
            headers['Authorization'] = f'Bearer {api_key}'
        request = urllib.request.Request(self.url, data=body, headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode(errors='replace')
            hint = f' (check the API key in ${self.api_key_env})' if exc.code in (401, 403) \
                else ''
            raise BackendUnavailableError(
                f'embedding endpoint {self.url} answered HTTP {exc.code}{hint}: {detail}') from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, 'reason', exc)
            raise BackendUnavailableError(
                f'embedding endpoint {self.url} could not be reached within {self.timeout_s:g} s '
                f'({reason}); check that the server runs and the url is right') from exc
        return self._parse(raw, len(texts))

    def _parse(self, raw: bytes, expected: int) -> list[list[float]]:
        try:
            data: Any = json.loads(raw)
            items = sorted(data['data'], key=lambda item: int(item.get('index', 0)))
            vectors = [[float(v) for v in item['embedding']] for item in items]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackendUnavailableError(
                f'embedding endpoint {self.url} sent a malformed answer ({exc!r}); expected '
                'OpenAI embeddings JSON: {"data": [{"index": 0, "embedding": [...]}, ...]}'
            ) from exc
        if len(vectors) != expected:
            raise BackendUnavailableError(
                f'embedding endpoint {self.url} returned {len(vectors)} vectors for {expected} '
                'texts')
        with self._lock:
            if self._dimension is None and vectors:
                self._dimension = len(vectors[0])
                _LOG.info('embedding endpoint %s serves %d-d vectors of %s', self.url,
                          self._dimension, self._model)
            dimension = self._dimension
        for vector in vectors:
            if len(vector) != dimension:
                raise BackendUnavailableError(
                    f'embedding endpoint {self.url} returned a {len(vector)}-d vector, but '
                    f'{self._model} is expected to make {dimension}-d vectors; check the '
                    'model name and the dimension setting')
            if not all(math.isfinite(v) for v in vector) or not any(vector):
                raise BackendUnavailableError(
                    f'embedding endpoint {self.url} returned a zero or non-finite vector')
        return [l2_normalize(v) for v in vectors]
