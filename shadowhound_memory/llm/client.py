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
One client for OpenAI-compatible servers: the co-located vLLM, or a cloud API.

Standard library only, like the embedding client, so the package's dependencies do not grow with
the LLM. Every request has a timeout; connection failures, timeouts and 5xx/429 answers are
retried a bounded number of times and then raised as BackendUnavailableError, which the callers
turn into their fallbacks. The API key is read from the environment at each request and never
logged, echoed or kept in an attribute.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
import http.client
import json
import os
import re
import time
from typing import Any
import urllib.error
import urllib.request

from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError

# Adapter and model names as vLLM takes them in "model": no path separators, no spaces.
NAME_PATTERN = r'^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$'
_NAME_RE = re.compile(NAME_PATTERN)
_RETRIED_STATUS = (429, 500, 502, 503, 504)


class ModelNotServedError(BackendUnavailableError):
    """The server is up but does not serve the model or adapter asked for."""


def check_name(name: str, what: str = 'adapter name') -> str:
    """Return ``name`` if it is a safe model/adapter name; raise InvalidRequestError if not."""
    if not _NAME_RE.match(name):
        raise InvalidRequestError(
            f'{what} {name!r} must be 1-64 letters, digits, ".", "_" or "-", starting with a '
            'letter or digit (no paths)')
    return name


def base_url(url: str) -> str:
    """Return a server's base URL without a trailing slash or /v1 suffix."""
    if not url.startswith(('http://', 'https://')):
        raise InvalidRequestError(f'LLM url {url!r} must start with http:// or https:// (the '
                                  'base URL of an OpenAI-compatible server)')
    stripped = url.rstrip('/')
    return stripped[:-len('/v1')] if stripped.endswith('/v1') else stripped


@dataclass
class Completion:
    """One chat completion: the text, why it stopped, token counts and the round trip."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    model: str

    @property
    def truncated(self) -> bool:
        """Tell whether the model was cut off by max_tokens (or the context length)."""
        return self.finish_reason == 'length'


@dataclass
class ServerInfo:
    """What a server offered when it was last probed."""

    reachable: bool
    base_models: list[str] = field(default_factory=list)
    # Adapter name -> the base model it was loaded on.
    adapters: dict[str, str] = field(default_factory=dict)
    runtime_lora: bool = False
    error: str = ''
    probed_at: float = 0.0

    def serves(self, model: str) -> bool:
        """Tell whether ``model`` (a base model or an adapter) is listed."""
        return model in self.base_models or model in self.adapters


class LlmClient:
    """Chat completions, model listing and runtime adapter loading on one server."""

    def __init__(self, url: str, api_key_env: str = 'OPENAI_API_KEY', timeout_s: float = 30.0,
                 retries: int = 1, retry_backoff_s: float = 0.5) -> None:
        if timeout_s <= 0:
            raise InvalidRequestError(f'LLM timeout must be positive, got {timeout_s}')
        if retries < 0:
            raise InvalidRequestError(f'LLM retries must be >= 0, got {retries}')
        self.url = base_url(url)
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.retries = retries
        self.retry_backoff_s = retry_backoff_s

    # Requests ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        key = os.environ.get(self.api_key_env, '') if self.api_key_env else ''
        if key:
            headers['Authorization'] = f'Bearer {key}'
        return headers

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 timeout_s: float | None = None, retries: int | None = None,
                 expect_json: bool = True) -> Any:
        """Send one request with bounded retries; return the decoded JSON (or the text)."""
        timeout = timeout_s or self.timeout_s
        attempts = 1 + (self.retries if retries is None else retries)
        data = None if body is None else json.dumps(body).encode()
        url = self.url + path
        last: BackendUnavailableError | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.retry_backoff_s * attempt)
            request = urllib.request.Request(url, data=data, headers=self._headers(),
                                             method=method)
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc)
                if exc.code == 404 or (exc.code == 400 and 'does not exist' in detail):
                    raise ModelNotServedError(f'{url}: {detail}') from exc
                if exc.code in (401, 403):
                    raise BackendUnavailableError(
                        f'{url} answered HTTP {exc.code}: check the API key in '
                        f'${self.api_key_env}') from exc
                if exc.code not in _RETRIED_STATUS:
                    raise InvalidRequestError(f'{url} refused the request (HTTP {exc.code}): '
                                              f'{detail}') from exc
                last = BackendUnavailableError(f'{url} answered HTTP {exc.code}: {detail}')
                continue
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, 'reason', exc)
                last = BackendUnavailableError(
                    f'LLM server {self.url} did not answer within {timeout:g} s ({reason}); '
                    'check that it runs and the url is right')
                continue
            if not expect_json:
                return raw.decode(errors='replace')
            try:
                return json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                raise BackendUnavailableError(
                    f'{url} sent an answer that is not JSON: {raw[:120]!r}') from exc
        assert last is not None
        raise last

    # API --------------------------------------------------------------------------------------

    def chat(self, model: str, messages: Sequence[dict[str, str]], max_tokens: int,
             temperature: float = 0.0, response_format: dict[str, Any] | None = None,
             timeout_s: float | None = None) -> Completion:
        """Return one chat completion; raise BackendUnavailableError when none came."""
        body: dict[str, Any] = {'model': model, 'messages': list(messages),
                                'max_tokens': max_tokens, 'temperature': temperature}
        if response_format is not None:
            body['response_format'] = response_format
        start = time.perf_counter()
        data = self._request('POST', '/v1/chat/completions', body, timeout_s)
        latency_ms = (time.perf_counter() - start) * 1000.0
        try:
            choice = data['choices'][0]
            text = choice['message']['content'] or ''
            usage = data.get('usage') or {}
            return Completion(text=str(text), finish_reason=str(choice.get('finish_reason')),
                              prompt_tokens=int(usage.get('prompt_tokens') or 0),
                              completion_tokens=int(usage.get('completion_tokens') or 0),
                              latency_ms=latency_ms, model=model)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise BackendUnavailableError(
                f'{self.url} sent a malformed chat completion ({exc!r}): '
                f'{str(data)[:120]}') from exc

    def probe(self, timeout_s: float = 5.0) -> ServerInfo:
        """
        Ask what the server serves; never raises, an unreachable server is reported as such.

        Models whose ``parent`` is set are LoRA adapters (vLLM lists them so). Runtime adapter
        loading is enabled when the server's OpenAPI document has the load route: vLLM adds it
        only with VLLM_ALLOW_RUNTIME_LORA_UPDATING, and no request has to change state to tell.
        """
        info = ServerInfo(reachable=False, probed_at=time.time())
        try:
            data = self._request('GET', '/v1/models', timeout_s=timeout_s, retries=0)
            for item in data.get('data', []):
                name, parent = str(item.get('id', '')), item.get('parent')
                if parent:
                    info.adapters[name] = str(parent)
                elif name:
                    info.base_models.append(name)
            info.reachable = True
        except (BackendUnavailableError, InvalidRequestError, AttributeError) as exc:
            info.error = str(exc)
            return info
        try:
            paths = self._request('GET', '/openapi.json', timeout_s=timeout_s,
                                  retries=0).get('paths', {})
            info.runtime_lora = '/v1/load_lora_adapter' in paths
        except (BackendUnavailableError, InvalidRequestError, AttributeError):
            info.runtime_lora = False
        return info

    def load_adapter(self, name: str, path: str) -> None:
        """Load a LoRA adapter at run time; the caller checks the path against its allowlist."""
        check_name(name)
        # vLLM answers these two in plain text ("Success: ...").
        self._request('POST', '/v1/load_lora_adapter', {'lora_name': name, 'lora_path': path},
                      retries=0, expect_json=False)

    def unload_adapter(self, name: str) -> None:
        """Unload a runtime-loaded adapter."""
        check_name(name)
        self._request('POST', '/v1/unload_lora_adapter', {'lora_name': name}, retries=0,
                      expect_json=False)


def _error_detail(exc: urllib.error.HTTPError) -> str:
    raw = exc.read(500).decode(errors='replace')
    try:
        data = json.loads(raw)
        message = data.get('error', {}).get('message') if isinstance(data, dict) else None
        return str(message or data.get('message') or raw)
    except (ValueError, AttributeError):
        return raw
