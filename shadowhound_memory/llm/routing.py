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
Where each generation task goes: which server, which model or adapter, which prompt style.

Three serving topologies, chosen by the ``llm_topology`` parameter:

- ``dynamic_lora``: one vLLM with ``--enable-lora``; a task's request names its adapter as the
  model. Adapters can be loaded and unloaded at run time, only from the allowlisted adapter
  folder.
- ``merged``: each task has its own model id (a merged-weights variant), possibly on its own
  endpoint.
- ``cloud``: an OpenAI-compatible API with no adapters; the base model with few-shot prompts.

``adapter_mode`` (none, writing, recall, all) says which tasks want their adapter. A task whose
adapter or variant is not served goes to the base model with the few-shot prompt; when its
server is unreachable there is no route, and the caller falls back (deterministic writer,
retrieval-only recall) at once. A background thread re-probes the servers, so a server that
comes back, or an adapter that is loaded later, is used again without a restart.

A request that needs a server marked down does not wait for the next period: it probes that
server itself first (route_for_request), at most once per ``reprobe_interval_s`` and with a
short timeout, so the first request after a server comes up already uses it. Requests run on
the node's LLM worker threads, never on an executor thread, so that probe blocks nobody else.
"""

from collections import Counter
from dataclasses import dataclass, field
import logging
import os
import threading
import time
from typing import Any, Literal

from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError
from shadowhound_memory.llm.client import check_name, LlmClient, ModelNotServedError, ServerInfo

_LOG = logging.getLogger(__name__)

Task = Literal['memory-writing', 'recall']
TASKS: tuple[Task, ...] = ('memory-writing', 'recall')
Topology = Literal['dynamic_lora', 'merged', 'cloud']
TOPOLOGIES: tuple[Topology, ...] = ('dynamic_lora', 'merged', 'cloud')
# The longest an on-demand probe of a server marked down may take (each of its two requests):
# the request that probes waits for it, so it is short; a slow server is found by the prober.
REPROBE_TIMEOUT_S = 3.0

# What each topology can do; published in diagnostics and tabled in the README.
CAPABILITIES: dict[str, dict[str, str]] = {
    'dynamic_lora': {
        'task_models': 'one LoRA adapter per task on one server',
        'runtime_adapter_loading': 'yes, with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True',
        'constrained_json': 'yes (response_format json_schema)',
        'missing_task_model': 'base model + few-shot prompt',
    },
    'merged': {
        'task_models': 'one merged model id (and endpoint) per task',
        'runtime_adapter_loading': 'no',
        'constrained_json': 'yes (response_format json_schema)',
        'missing_task_model': 'base model + few-shot prompt',
    },
    'cloud': {
        'task_models': 'none: the base model for every task',
        'runtime_adapter_loading': 'no',
        'constrained_json': 'yes where the API has structured outputs (llm_structured_output)',
        'missing_task_model': 'not applicable: few-shot prompts always',
    },
}


@dataclass(frozen=True)
class LlmSettings:
    """The LLM part of the node's configuration (see MemoryConfig for each field's meaning)."""

    url: str
    base_model: str = ''
    topology: Topology = 'dynamic_lora'
    adapter_mode: str = 'none'
    writing_adapter: str = 'memory-writing'
    recall_adapter: str = 'recall'
    writing_model: str = ''
    recall_model: str = ''
    writing_url: str = ''
    recall_url: str = ''
    adapter_dir: str = ''
    api_key_env: str = 'OPENAI_API_KEY'
    timeout_s: float = 30.0
    retries: int = 1
    structured_output: bool = True

    def wants_adapter(self, task: Task) -> bool:
        """Tell whether adapter_mode asks for this task's own adapter or variant."""
        mode = self.adapter_mode
        return mode == 'all' or (mode == 'writing' and task == 'memory-writing') or \
            (mode == 'recall' and task == 'recall')

    def task_model(self, task: Task) -> str:
        """Return the adapter name or merged model id of a task."""
        if self.topology == 'merged':
            return self.writing_model if task == 'memory-writing' else self.recall_model
        return self.writing_adapter if task == 'memory-writing' else self.recall_adapter

    def task_url(self, task: Task) -> str:
        """Return the endpoint of a task's own model (merged variants may have their own)."""
        own = self.writing_url if task == 'memory-writing' else self.recall_url
        return own if self.topology == 'merged' and own else self.url


@dataclass(frozen=True)
class Route:
    """Where one request goes and how it is prompted."""

    task: Task
    url: str
    model: str
    # adapter: a LoRA on dynamic_lora; merged: a task variant; base: the base model; cloud.
    kind: Literal['adapter', 'merged', 'base', 'cloud']
    few_shot: bool
    structured: bool
    # Why this is not the route adapter_mode asked for; empty when it is.
    fallback_reason: str = ''

    @property
    def label(self) -> str:
        """Name the route in traces and diagnostics: 'base' or the adapter/variant name."""
        return 'base' if self.kind in ('base', 'cloud') else self.model


@dataclass
class RouteCounts:
    """How often each task went where, for diagnostics and the benchmark."""

    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, task: str, outcome: str) -> None:
        """Count one request of ``task`` ending in ``outcome`` (a route label or a fallback)."""
        with self._lock:
            self.counts[f'{task}/{outcome}'] += 1

    def snapshot(self) -> dict[str, int]:
        """Return a copy of the counts."""
        with self._lock:
            return dict(self.counts)


class LlmRouter:
    """Chooses a route per task from the settings and what the servers last said they serve."""

    def __init__(self, settings: LlmSettings, probe_period_s: float = 10.0,
                 reprobe_interval_s: float = 2.0) -> None:
        if settings.topology not in TOPOLOGIES:
            raise InvalidRequestError(f'llm_topology must be one of {TOPOLOGIES}, '
                                      f'got {settings.topology!r}')
        if settings.topology == 'merged':
            for task in TASKS:
                if settings.wants_adapter(task) and not settings.task_model(task):
                    raise InvalidRequestError(
                        f'llm_topology=merged with adapter_mode={settings.adapter_mode} needs '
                        f'the model id of the {task} variant (llm_writing_model / '
                        'llm_recall_model)')
        for task in TASKS:
            name = settings.task_model(task)
            if name:
                check_name(name, 'model name')
        self.settings = settings
        self.probe_period_s = probe_period_s
        self.reprobe_interval_s = reprobe_interval_s
        urls = {settings.url} | {settings.task_url(t) for t in TASKS}
        self.clients = {url: LlmClient(url, settings.api_key_env, settings.timeout_s,
                                       settings.retries) for url in urls}
        self._info: dict[str, ServerInfo] = {}
        # When each server was last probed or failed a request (time.monotonic()).
        self._checked: dict[str, float] = {}
        self._reprobing: set[str] = set()
        self.reprobes = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Set to probe now instead of at the end of the period (a re-probe found a server up).
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.usage = RouteCounts()
        self.adapter_events: list[str] = []
        self._unloaded: set[str] = set()

    # Probing ----------------------------------------------------------------------------------

    def refresh(self) -> dict[str, ServerInfo]:
        """Probe every server now (and load configured adapters that are missing)."""
        infos = {url: client.probe() for url, client in self.clients.items()}
        with self._lock:
            self._info.update(infos)
            now = time.monotonic()
            self._checked.update({url: now for url in infos})
        self._autoload()
        return self.server_info()

    def server_info(self) -> dict[str, ServerInfo]:
        """Return what each server said at its last probe."""
        with self._lock:
            return dict(self._info)

    def start(self) -> None:
        """Probe once, then keep probing in a background thread (no callback ever waits)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._probe_loop, name='llm-probe', daemon=True)
        self._thread.start()

    def _probe_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception as exc:  # noqa: B902 - the prober must outlive any surprise
                _LOG.warning('LLM probe failed: %r', exc)
            self._wake.wait(self.probe_period_s)
            self._wake.clear()

    def close(self) -> None:
        """Stop probing."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.timeout_s + 5.0)
            self._thread = None

    def report_failure(self, route: Route, error: BackendUnavailableError) -> None:
        """
        Take a failed request into account until the next probe.

        A model the server does not serve is forgotten, so the next request of that task goes
        to the base model; any other failure marks the server down, so requests fall back at
        once instead of each waiting out a timeout.
        """
        with self._lock:
            info = self._info.get(route.url)
            if info is None:
                return
            if isinstance(error, ModelNotServedError) and route.kind in ('adapter', 'merged'):
                info.adapters.pop(route.model, None)
                if route.model in info.base_models:
                    info.base_models.remove(route.model)
            else:
                info.reachable = False
                info.error = str(error)
                # A failure is as fresh as a probe: the retry of this request falls back at
                # once instead of probing a server that has just failed.
                self._checked[route.url] = time.monotonic()

    def reprobe(self, url: str) -> bool:
        """
        Probe one server now unless it was checked within reprobe_interval_s; True if probed.

        Only one caller probes a server at a time; the others do not wait for it and route on
        what is known. A server found up wakes the background prober, which loads the adapters
        it should serve (that takes longer than a request should wait).
        """
        with self._lock:
            checked = self._checked.get(url)
            if url in self._reprobing or (checked is not None and
                                          time.monotonic() - checked < self.reprobe_interval_s):
                return False
            self._reprobing.add(url)
        try:
            client = self.clients[url]
            info = client.probe(timeout_s=min(REPROBE_TIMEOUT_S, self.settings.timeout_s))
        finally:
            with self._lock:
                self._reprobing.discard(url)
        with self._lock:
            self._info[url] = info
            self._checked[url] = time.monotonic()
            self.reprobes += 1
        if info.reachable:
            _LOG.info('LLM server %s is up again (probed on demand)', url)
            self._wake.set()
        return True

    # Routing ----------------------------------------------------------------------------------

    def route_for_request(self, task: Task) -> Route | None:
        """
        Return the route of a request about to be sent, probing servers marked down first.

        Blocks for at most one short probe per server (see reprobe), so call it from a worker
        thread of the request, not from an executor thread that others wait for.
        """
        settings = self.settings
        urls = [settings.url]
        if settings.topology != 'cloud' and settings.wants_adapter(task):
            urls.insert(0, settings.task_url(task))
        for url in dict.fromkeys(urls):
            if not self._reachable(url):
                self.reprobe(url)
        return self.route(task)

    def route(self, task: Task) -> Route | None:
        """Return where ``task`` goes now (from what is known), or None with no server for it."""
        settings = self.settings
        structured = settings.structured_output
        base = self.base_model()
        if settings.topology == 'cloud':
            if not base or not self._reachable(settings.url):
                return None
            reason = 'cloud topology has no adapters' if settings.wants_adapter(task) else ''
            return Route(task, settings.url, base, 'cloud', True, structured, reason)
        if settings.wants_adapter(task):
            url, model = settings.task_url(task), settings.task_model(task)
            kind: Literal['adapter', 'merged'] = \
                'merged' if settings.topology == 'merged' else 'adapter'
            if self._serves(url, model):
                return Route(task, url, model, kind, False, structured)
            reason = (f'{model} not served at {url}' if self._reachable(url)
                      else f'{url} unreachable')
        else:
            reason = ''
        if not base or not self._reachable(settings.url):
            return None
        return Route(task, settings.url, base, 'base', True, structured, reason)

    def base_model(self) -> str:
        """Return the configured base model, or the first one the main server lists."""
        if self.settings.base_model:
            return self.settings.base_model
        with self._lock:
            info = self._info.get(self.settings.url)
            return info.base_models[0] if info is not None and info.base_models else ''

    def _reachable(self, url: str) -> bool:
        with self._lock:
            info = self._info.get(url)
            return info is not None and info.reachable

    def _serves(self, url: str, model: str) -> bool:
        with self._lock:
            info = self._info.get(url)
            return info is not None and info.reachable and info.serves(model)

    # Adapters ---------------------------------------------------------------------------------

    def adapter_path(self, name: str, path: str = '') -> str:
        """
        Return the folder to load adapter ``name`` from, inside the allowlisted folder only.

        An empty path means ``<llm_adapter_dir>/<name>``. Links are resolved before the check,
        so neither ``..`` nor a symlink can lead out of the folder.
        """
        check_name(name)
        if not self.settings.adapter_dir:
            raise InvalidRequestError('runtime adapter loading is off: set llm_adapter_dir to '
                                      'the folder adapters may be loaded from')
        root = os.path.realpath(os.path.expanduser(self.settings.adapter_dir))
        candidate = os.path.realpath(os.path.join(root, path or name))
        if os.path.commonpath([root, candidate]) != root or candidate == root:
            raise InvalidRequestError(f'adapter path {path or name!r} is outside the allowed '
                                      f'adapter folder {root}')
        if not os.path.isfile(os.path.join(candidate, 'adapter_config.json')):
            raise InvalidRequestError(f'{candidate} holds no adapter_config.json: not a LoRA '
                                      'adapter folder')
        return candidate

    def load_adapter(self, name: str, path: str = '') -> str:
        """Load an adapter from the allowlisted folder into the dynamic-LoRA server."""
        if self.settings.topology != 'dynamic_lora':
            raise InvalidRequestError(f'llm_topology={self.settings.topology} cannot load '
                                      'adapters at run time (dynamic_lora can)')
        folder = self.adapter_path(name, path)
        client = self.clients[self.settings.url]
        with self._lock:
            self._unloaded.discard(name)
        if client.probe().serves(name):
            raise InvalidRequestError(f'{name} is already loaded; unload it first to replace it')
        try:
            client.load_adapter(name, folder)
        except ModelNotServedError as exc:
            raise InvalidRequestError(f'the server could not load {name}: {exc} (is '
                                      'VLLM_ALLOW_RUNTIME_LORA_UPDATING=True set for vLLM, '
                                      'and is the folder readable by it?)') from exc
        with self._lock:
            info = self._info.get(self.settings.url)
            if info is not None:
                info.adapters[name] = info.base_models[0] if info.base_models else ''
            self.adapter_events.append(f'loaded {name}')
        return folder

    def unload_adapter(self, name: str) -> None:
        """Unload a runtime-loaded adapter; its task falls back to the base model."""
        if self.settings.topology != 'dynamic_lora':
            raise InvalidRequestError(f'llm_topology={self.settings.topology} has no runtime '
                                      'adapters to unload')
        try:
            self.clients[self.settings.url].unload_adapter(name)
        except ModelNotServedError as exc:
            raise InvalidRequestError(f'{name} is not loaded: {exc}') from exc
        with self._lock:
            info = self._info.get(self.settings.url)
            if info is not None:
                info.adapters.pop(name, None)
            self.adapter_events.append(f'unloaded {name}')
            # An operator's unload stands: the prober does not load it back.
            self._unloaded.add(name)

    def _autoload(self) -> None:
        # Adapters that adapter_mode wants, that are missing, and that lie in the allowlisted
        # folder are loaded when the server allows it: a restarted vLLM gets them back. One an
        # operator unloaded through the router is left alone.
        settings = self.settings
        if settings.topology != 'dynamic_lora' or not settings.adapter_dir:
            return
        info = self.server_info().get(settings.url)
        if info is None or not info.reachable or not info.runtime_lora:
            return
        for task in TASKS:
            name = settings.task_model(task)
            with self._lock:
                unloaded = name in self._unloaded
            if not settings.wants_adapter(task) or info.serves(name) or unloaded:
                continue
            try:
                self.load_adapter(name)
                _LOG.info('loaded adapter %s from %s', name, settings.adapter_dir)
            except (InvalidRequestError, BackendUnavailableError) as exc:
                _LOG.warning('adapter %s not loaded: %s', name, exc)

    # Diagnostics ------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Return the routing state as flat facts for diagnostics."""
        facts: dict[str, Any] = {'llm_topology': self.settings.topology}
        for url, info in sorted(self.server_info().items()):
            facts[f'llm_server {url}'] = (
                'up: ' + ', '.join(info.base_models + sorted(info.adapters))
                + (' (runtime LoRA on)' if info.runtime_lora else '')
                if info.reachable else f'down: {info.error[:160]}')
        for task in TASKS:
            route = self.route(task)
            facts[f'route {task}'] = 'fallback (no server)' if route is None else \
                route.label + (f' ({route.fallback_reason})' if route.fallback_reason else '')
        for key, value in CAPABILITIES[self.settings.topology].items():
            facts[f'capability {key}'] = value
        facts['llm_on_demand_probes'] = self.reprobes
        usage = self.usage.snapshot()
        totals: Counter[str] = Counter()
        for key, count in usage.items():
            totals[key.split('/', 1)[0]] += count
        for key, count in sorted(usage.items()):
            facts[f'usage {key}'] = count
            facts[f'usage_rate {key}'] = round(count / totals[key.split('/', 1)[0]], 3)
        return facts


def manage_adapter(router: LlmRouter, action: str, name: str, path: str) -> str:
    """
    Load, unload or list adapters on the serving route's server; return what was done.

    The operator's ManageAdapter request, kept here so the node only converts messages.
    """
    verb = action.strip().lower()
    if verb == 'load':
        folder = router.load_adapter(name, path)
        return f'loaded {name} from {folder}'
    if verb == 'unload':
        router.unload_adapter(name)
        return f'unloaded {name}'
    if verb == 'list':
        router.refresh()
        return 'listed'
    raise InvalidRequestError(f'action {action!r} must be load, unload or list')
