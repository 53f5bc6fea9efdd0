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
Embedding providers: the bundled MiniLM offline, and an OpenAI-compatible endpoint.

The endpoint tests run a real HTTP server on 127.0.0.1 that embeds with the real MiniLM model,
so the client is checked against the actual wire format, not against a mock of it.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
import http.server
import json
import math
import os
import subprocess
import sys
import threading
from typing import Any

import pydantic
import pytest

from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError
from shadowhound_memory.embeddings.base import EmbeddingConfig
from shadowhound_memory.embeddings.local import resolve_model_path, SentenceTransformerProvider
from shadowhound_memory.embeddings.openai_compat import OpenAIEmbeddingProvider
from shadowhound_memory.embeddings.providers import make_provider

API_KEY = 'sk-test-not-a-secret-42'


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


class EmbeddingServer:
    """A real OpenAI-compatible /v1/embeddings server backed by MiniLM."""

    def __init__(self, provider: SentenceTransformerProvider) -> None:
        self.provider = provider
        self.mode = 'ok'
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
                server.requests.append({'path': self.path, 'body': body,
                                        'auth': self.headers.get('Authorization')})
                if server.mode == 'slow':
                    server.release.wait(10.0)
                if self.path != '/v1/embeddings':
                    return self.answer(404, {'error': 'not found'})
                if self.headers.get('Authorization') != f'Bearer {API_KEY}':
                    return self.answer(401, {'error': {'message': 'invalid api key'}})
                if server.mode == 'garbage':
                    return self.answer(200, {'object': 'list', 'results': []})
                texts = body['input']
                vectors = server.provider.embed(texts)
                if server.mode == 'short':
                    vectors = vectors[:-1]
                if server.mode == 'unnormalized':
                    vectors = [[3.0 * v for v in vector] for vector in vectors]
                data = [{'object': 'embedding', 'index': i, 'embedding': v}
                        for i, v in enumerate(vectors)]
                self.answer(200, {'object': 'list', 'model': body['model'],
                                  'data': list(reversed(data))})

            def answer(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def endpoint(embedder: SentenceTransformerProvider,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddingServer]:
    monkeypatch.setenv('SHADOWHOUND_TEST_KEY', API_KEY)
    server = EmbeddingServer(embedder)
    yield server
    server.stop()


def remote(server: EmbeddingServer, **kwargs: Any) -> OpenAIEmbeddingProvider:
    return OpenAIEmbeddingProvider(server.url, 'all-MiniLM-L6-v2',
                                   api_key_env='SHADOWHOUND_TEST_KEY', **kwargs)


# The bundled local model -------------------------------------------------------------------------

def test_bundled_minilm_gives_unit_vectors_of_384_dimensions(embedder):
    vectors = embedder.embed(['a red ball next to the charging dock', 'the hallway is dark'])
    assert embedder.model_id == 'sentence-transformers/all-MiniLM-L6-v2'
    assert embedder.dimension == 384
    assert [len(v) for v in vectors] == [384, 384]
    assert all(math.isclose(dot(v, v), 1.0, abs_tol=1e-5) for v in vectors)
    assert embedder.embed([]) == []


def test_similar_sentences_are_closer_than_unrelated_ones(embedder):
    query = embedder.embed_query('where did I see the red ball')
    near, far = embedder.embed(['a red ball lay on the kitchen floor',
                               'the battery charge dropped to twenty percent'])
    assert dot(query, near) > dot(query, far) + 0.2


def test_both_names_of_the_bundled_model_resolve_to_one_folder_and_id():
    assert resolve_model_path('all-MiniLM-L6-v2') == \
        resolve_model_path('sentence-transformers/all-MiniLM-L6-v2')


def test_a_hub_name_that_is_no_folder_is_refused_without_downloading(tmp_path):
    with pytest.raises(InvalidRequestError, match='only local folders or the bundled model'):
        SentenceTransformerProvider('BAAI/bge-small-en-v1.5')
    with pytest.raises(InvalidRequestError, match='cannot load the embedding model'):
        SentenceTransformerProvider(str(tmp_path))


def test_importing_the_local_provider_does_not_import_torch():
    code = ('import sys, shadowhound_memory.embeddings.local, '
            'shadowhound_memory.embeddings.openai_compat\n'
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_concurrent_embedding_from_threads_matches_serial_results(embedder):
    texts = [f'observation number {i}: a chair near door {i % 5}' for i in range(24)]
    serial = embedder.embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(embedder.embed_query, texts))
    assert all(math.isclose(dot(a, b), 1.0, abs_tol=1e-5) for a, b in zip(serial, parallel))


def test_make_provider_goes_offline_and_checks_the_configured_dimension(monkeypatch):
    monkeypatch.delenv('HF_HUB_OFFLINE', raising=False)
    provider = make_provider(EmbeddingConfig(dimension=384, batch_size=8))
    assert provider.dimension == 384
    assert os.environ['HF_HUB_OFFLINE'] == '1'
    with pytest.raises(InvalidRequestError, match='384-d vectors, not the configured 512'):
        make_provider(EmbeddingConfig(dimension=512))


def test_embedding_config_rejects_unknown_keys_and_out_of_range_values():
    with pytest.raises(pydantic.ValidationError):
        EmbeddingConfig.model_validate({'modle': 'all-MiniLM-L6-v2'})
    with pytest.raises(pydantic.ValidationError):
        EmbeddingConfig(batch_size=0)
    with pytest.raises(pydantic.ValidationError):
        EmbeddingConfig(threads=65)
    with pytest.raises(pydantic.ValidationError):
        EmbeddingConfig(provider='cohere')


# The OpenAI-compatible endpoint ------------------------------------------------------------------

def test_endpoint_vectors_equal_local_ones_and_the_dimension_is_learned(endpoint, embedder):
    provider = remote(endpoint)
    texts = ['a person waved near the loading bay', 'the door to room 12 was open']
    vectors = provider.embed(texts)
    assert provider.dimension == 384
    assert provider.model_id == 'all-MiniLM-L6-v2'
    for got, want in zip(vectors, embedder.embed(texts)):
        assert math.isclose(dot(got, want), 1.0, abs_tol=1e-5)
    assert endpoint.requests[0]['path'] == '/v1/embeddings'
    assert endpoint.requests[0]['body'] == {'model': 'all-MiniLM-L6-v2', 'input': texts}


def test_endpoint_sends_the_key_from_the_environment_as_a_bearer_token(endpoint):
    remote(endpoint).embed_query('hello')
    assert endpoint.requests[-1]['auth'] == f'Bearer {API_KEY}'


def test_a_rejected_key_names_the_variable_but_never_the_key(endpoint, monkeypatch):
    monkeypatch.setenv('SHADOWHOUND_TEST_KEY', 'wrong-key-123')
    with pytest.raises(BackendUnavailableError, match='SHADOWHOUND_TEST_KEY') as caught:
        remote(endpoint).embed_query('hello')
    assert 'wrong-key-123' not in str(caught.value)
    assert 'HTTP 401' in str(caught.value)


def test_a_base_url_ending_in_v1_is_not_doubled(endpoint):
    provider = OpenAIEmbeddingProvider(endpoint.url + '/v1/', 'all-MiniLM-L6-v2',
                                       api_key_env='SHADOWHOUND_TEST_KEY')
    assert len(provider.embed_query('hello')) == 384


def test_dimension_is_asked_of_the_endpoint_when_not_configured(endpoint):
    provider = remote(endpoint)
    assert provider.dimension == 384
    assert len(endpoint.requests) == 1


def test_unnormalized_endpoint_vectors_are_normalized(endpoint):
    endpoint.mode = 'unnormalized'
    vector = remote(endpoint).embed_query('a blue chair')
    assert math.isclose(dot(vector, vector), 1.0, abs_tol=1e-6)


def test_a_stopped_endpoint_is_unavailable(endpoint):
    endpoint.stop()
    with pytest.raises(BackendUnavailableError, match='could not be reached'):
        remote(endpoint, timeout_s=2.0).embed_query('hello')


def test_a_slow_endpoint_times_out_as_unavailable(endpoint):
    endpoint.mode = 'slow'
    with pytest.raises(BackendUnavailableError, match='within 0.3 s'):
        remote(endpoint, timeout_s=0.3).embed_query('hello')


def test_a_malformed_answer_is_unavailable_and_says_what_was_wrong(endpoint):
    endpoint.mode = 'garbage'
    with pytest.raises(BackendUnavailableError, match='malformed answer'):
        remote(endpoint).embed_query('hello')


def test_an_answer_with_too_few_vectors_is_unavailable(endpoint):
    endpoint.mode = 'short'
    with pytest.raises(BackendUnavailableError, match='returned 1 vectors for 2 texts'):
        remote(endpoint).embed(['one', 'two'])


def test_a_configured_dimension_that_the_endpoint_does_not_serve_is_refused(endpoint):
    with pytest.raises(BackendUnavailableError, match='returned a 384-d vector'):
        remote(endpoint, dimension=768).embed_query('hello')


def test_the_openai_provider_refuses_a_url_without_scheme():
    with pytest.raises(InvalidRequestError, match='http://'):
        OpenAIEmbeddingProvider('localhost:8000', 'all-MiniLM-L6-v2')


def test_make_provider_builds_the_openai_provider_from_config(endpoint):
    provider = make_provider(EmbeddingConfig(provider='openai', url=endpoint.url,
                                             model='all-MiniLM-L6-v2',
                                             api_key_env='SHADOWHOUND_TEST_KEY', timeout_s=5.0))
    assert len(provider.embed_query('a green box')) == provider.dimension == 384
