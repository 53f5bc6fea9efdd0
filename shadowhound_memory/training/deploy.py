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
Put an adapter in service: register it with a running vLLM, or print how to serve it.

Runtime registration (POST /v1/load_lora_adapter) makes the server read a folder named by the
caller, so only folders inside an allowlisted adapter directory are accepted, and the name must
be a plain identifier: a request cannot point the server at arbitrary paths or names.
"""

import argparse
import json
import os
import pathlib
import sys

from shadowhound_memory.domain.errors import BackendUnavailableError, InvalidRequestError
from shadowhound_memory.llm.client import check_name, LlmClient
from shadowhound_memory.llm.local_server import vllm_command

DEFAULT_ADAPTER_ROOT = '~/.ros/shadowhound_memory/adapters'
ADAPTER_FILES = ('adapter_config.json', 'adapter_model.safetensors')
# The names the node and the launch file's example flags use for the two adapters.
DEFAULT_NAMES = {'writing': 'memory-writing', 'recall': 'recall'}


def adapter_root() -> pathlib.Path:
    """Return the allowlisted adapter directory ($SHADOWHOUND_ADAPTER_DIR or the default)."""
    return pathlib.Path(os.path.expanduser(os.environ.get('SHADOWHOUND_ADAPTER_DIR')
                                           or DEFAULT_ADAPTER_ROOT)).resolve()


def check_adapter(name: str, path: str | pathlib.Path, root: str | pathlib.Path,
                  max_lora_rank: int = 16) -> pathlib.Path:
    """Return the adapter's resolved folder, or raise InvalidRequestError saying which rule."""
    check_name(name)
    allowed = pathlib.Path(root).resolve()
    folder = pathlib.Path(path).resolve()
    # Resolved first, so '..' and symlinks cannot lead out of the allowlisted directory.
    if not folder.is_relative_to(allowed) or folder == allowed:
        raise InvalidRequestError(f'adapter folder {folder} is not inside the allowlisted '
                                  f'adapter directory {allowed}; copy it there or set '
                                  'SHADOWHOUND_ADAPTER_DIR')
    missing = [f for f in ADAPTER_FILES if not (folder / f).is_file()]
    if missing:
        raise InvalidRequestError(f'adapter folder {folder} lacks {missing}; train.py writes '
                                  'both')
    rank = json.loads((folder / 'adapter_config.json').read_text()).get('r', 0)
    if rank > max_lora_rank:
        raise InvalidRequestError(f"adapter rank {rank} exceeds the server's --max-lora-rank "
                                  f'{max_lora_rank}')
    return folder


def register(server: str, name: str, path: str | pathlib.Path,
             root: str | pathlib.Path | None = None, max_lora_rank: int = 16,
             timeout_s: float = 120.0) -> pathlib.Path:
    """Check the adapter and load it into a running vLLM under name (runtime LoRA loading)."""
    folder = check_adapter(name, path, root or adapter_root(), max_lora_rank)
    LlmClient(server, timeout_s=timeout_s).load_adapter(name, str(folder))
    return folder


def routing_entries(adapters: dict[str, str], root: str | pathlib.Path | None,
                    url: str = 'http://127.0.0.1:8000') -> str:
    """
    Return the config/memory.yaml lines that route tasks to the served adapters.

    With root None the names are merged models (merge.py), served as models of their own.
    """
    mode = 'all' if {'writing', 'recall'} <= set(adapters) else next(iter(adapters), 'none')
    lines = ['/**/memory_node:', '  ros__parameters:', f'    adapter_mode: {mode}',
             f'    llm_url: {url}',
             f"    llm_topology: {'merged' if root is None else 'dynamic_lora'}"]
    kind = 'model' if root is None else 'adapter'
    lines += [f'    llm_{task}_{kind}: {name}' for task, name in adapters.items()]
    if root is not None:
        lines.append(f'    llm_adapter_dir: {pathlib.Path(root).resolve()}')
    return '\n'.join(lines)


def check_merged(path: str | pathlib.Path) -> pathlib.Path:
    """Return a merged model folder, or raise InvalidRequestError if it is not one."""
    folder = pathlib.Path(path).resolve()
    missing = [f for f in ('config.json', 'model.safetensors') if not (folder / f).is_file()]
    if missing:
        raise InvalidRequestError(f'{folder} lacks {missing}: not a merged model folder '
                                  '(make one with python -m shadowhound_memory.training.merge)')
    return folder


def main(argv: list[str] | None = None) -> int:
    """Register an adapter, or print the serve flags and routing entries."""
    parser = argparse.ArgumentParser(
        prog='python -m shadowhound_memory.training.deploy',
        description='Register a LoRA adapter with a running vLLM (runtime load, allowlisted '
                    'folders only), or print the vllm serve flags and config/memory.yaml entries.')
    parser.add_argument('--task', choices=('writing', 'recall'), required=True,
                        help='The task the adapter serves.')
    parser.add_argument('--name', help='Name the server lists the adapter by (default: '
                                       'memory-writing or memory-recall, as the node asks).')
    parser.add_argument('--adapter', required=True, help='Adapter folder.')
    parser.add_argument('--server', help='Base URL of a running vLLM; without it, print flags.')
    parser.add_argument('--adapter-root',
                        help='Allowlisted adapter directory (default $SHADOWHOUND_ADAPTER_DIR '
                             f'or {DEFAULT_ADAPTER_ROOT}).')
    parser.add_argument('--base-model', default='<base model folder>',
                        help='Base model folder, for the printed serve flags.')
    parser.add_argument('--max-lora-rank', type=int, default=16,
                        help="The server's --max-lora-rank.")
    parser.add_argument('--merged', action='store_true',
                        help='The folder is a merged model: print the flags that serve it and '
                             'the merged-topology entries (for servers without dynamic LoRA).')
    args = parser.parse_args(argv)
    args.name = args.name or DEFAULT_NAMES[args.task]
    try:
        if args.merged:
            folder = check_merged(args.adapter)
            command = vllm_command('python', str(folder), 8000, [args.name], {})
            print(' '.join(f"'{f}'" if '{' in f else f for f in command))
            print()
            print(routing_entries({args.task: args.name}, None))
        elif args.server:
            folder = register(args.server, args.name, args.adapter, args.adapter_root,
                              args.max_lora_rank)
            print(f'registered {args.name} -> {folder} on {args.server}')
        else:
            root = args.adapter_root or adapter_root()
            folder = check_adapter(args.name, args.adapter, root, args.max_lora_rank)
            command = vllm_command('python', args.base_model, 8000,
                                   [os.path.basename(os.path.normpath(args.base_model))],
                                   {args.name: str(folder)})
            print('VLLM_ALLOW_RUNTIME_LORA_UPDATING=True ' +
                  ' '.join(f"'{f}'" if '{' in f else f for f in command))
            print()
            print(routing_entries({args.task: args.name}, root))
    except (InvalidRequestError, BackendUnavailableError) as exc:
        print(f'deploy: {exc}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
