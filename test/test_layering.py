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
The package's folders import only downward, and no module imports itself through others.

Reading the layers bottom to top is reading the architecture (docs/architecture.md): each folder
may import the folders of lower layers and its own modules, never a folder beside or above it.
The check parses the sources (every import, also those inside functions), so it holds without
importing anything, and names the offending import.
"""

import ast
import pathlib

import pytest

PACKAGE = 'shadowhound_memory'
SOURCE = pathlib.Path(__file__).resolve().parent.parent / PACKAGE

# Bottom to top. Folders of one layer are independent of each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ('domain',),                          # records, observations, errors: the vocabulary
    ('pose', 'embeddings', 'store'),      # the parts: pose buffer, embedders, stores
    ('retrieval',),                       # queries, ranking, context, retrieval-only answers
    ('memory',),                          # the memory service: write, recall decision, hygiene
    ('llm',),                             # generation: client, routing, LLM writer, synthesis
    ('compose',),                         # the composition root: config and assembly
    ('agent', 'msg', 'srv'),              # the agent's side without ROS; ROS interfaces
    ('ros',),                             # the ROS glue: node, client
    ('synthetic', 'viz'),                 # synthetic missions; mission map pictures
    ('training', 'demo', 'testing', 'cli'),  # adapter pipeline, demo, harness, command lines
    ('evaluation',),                      # held-out sets, checked against the training side
)
RANK = {folder: rank for rank, folders in enumerate(LAYERS) for folder in folders}
# Only these may import rclpy or ROS message packages (the core runs without ROS).
ROS_FOLDERS = frozenset({'ros', 'demo', 'testing', 'msg', 'srv'})
ROS_MODULES = frozenset({'rclpy', 'std_msgs', 'nav_msgs', 'diagnostic_msgs', 'geometry_msgs',
                         'visualization_msgs', 'rcl_interfaces', 'builtin_interfaces',
                         'launch', 'launch_ros', 'rosidl_runtime_py'})


def module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    """Return the dotted module name of a source file under the package folder ``root``."""
    parts = list(path.relative_to(root).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join([PACKAGE] + parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Return (line, absolute module) for every import in a module, relative ones resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = module.split('.')
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = '.'.join(parts[:keep] + ([base] if base else []))
            if base == PACKAGE:
                # from shadowhound_memory import x: x is the folder imported.
                found += [(node.lineno, f'{PACKAGE}.{alias.name}') for alias in node.names]
            else:
                found.append((node.lineno, base))
    return found


def folder_of(module: str) -> str:
    """Return the package folder a module of the package lives in ('' for top-level files)."""
    parts = module.split('.')
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else ''


def check_layers(sources: dict[str, tuple[str, bool]]) -> list[str]:
    """
    Return one line per import that runs back up or sideways, or reaches ROS from the core.

    ``sources`` maps a module name to (its source text, whether it is a package __init__).
    """
    problems = []
    graph: dict[str, set[str]] = {}
    for module, (text, is_package) in sorted(sources.items()):
        if module == PACKAGE:
            continue
        here = folder_of(module)
        if here not in RANK:
            problems.append(f'{module}: lives in no layer; put it in a folder of LAYERS '
                            '(test/test_layering.py) and docs/architecture.md')
            continue
        graph[module] = set()
        for line, target in imported_modules(ast.parse(text), module, is_package):
            top = target.split('.')[0]
            if top in ROS_MODULES and here not in ROS_FOLDERS:
                problems.append(f'{module}:{line} imports {target}: only {sorted(ROS_FOLDERS)} '
                                'may use ROS')
            if top != PACKAGE:
                continue
            there = folder_of(target)
            if there == here:
                graph[module].add(target)
                continue
            if there not in RANK:
                problems.append(f'{module}:{line} imports {target}, which lives in no layer')
            elif RANK[there] >= RANK[here]:
                way = 'sideways' if RANK[there] == RANK[here] else 'back up'
                problems.append(f'{module}:{line} imports {target}: {here}/ (layer '
                                f'{RANK[here]}) reaches {way} into {there}/ (layer '
                                f'{RANK[there]})')
    problems += [f'import circle: {" -> ".join(circle)}' for circle in circles(graph)]
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one circle of imports per group of modules that import each other."""
    found = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def package_sources(root: pathlib.Path = SOURCE) -> dict[str, tuple[str, bool]]:
    """Return every module of the package folder with its source text."""
    return {module_name(path, root): (path.read_text(), path.name == '__init__.py')
            for path in sorted(root.rglob('*.py'))}


def test_every_layer_folder_exists():
    folders = {p.name for p in SOURCE.iterdir() if p.is_dir() and p.name != '__pycache__'}
    assert folders <= set(RANK), f'folders in no layer: {sorted(folders - set(RANK))}'
    assert {'domain', 'memory', 'compose', 'ros'} <= folders


def test_the_package_imports_only_downward_and_has_no_circle():
    problems = check_layers(package_sources())
    assert not problems, 'imports against the layers:\n' + '\n'.join(problems)


def source(text: str, is_package: bool = False) -> tuple[str, bool]:
    return text, is_package


@pytest.mark.parametrize('module, text, expected', [
    # The store reaching up into the memory service (the old memory/schema.py import).
    (f'{PACKAGE}.store.edge', f'from {PACKAGE}.memory.service import MemoryService',
     'store/ (layer 1) reaches back up into memory/ (layer 3)'),
    # A lazy import inside a function counts too.
    (f'{PACKAGE}.memory.service', f'def f():\n    from {PACKAGE}.llm import synthesis\n',
     'memory/ (layer 3) reaches back up into llm/ (layer 4)'),
    # Relative imports are resolved before they are judged.
    (f'{PACKAGE}.domain.records', 'from ..compose.config import MemoryConfig',
     'domain/ (layer 0) reaches back up into compose/ (layer 5)'),
    # Folders of one layer do not import each other.
    (f'{PACKAGE}.pose.buffer', f'import {PACKAGE}.store.base',
     'pose/ (layer 1) reaches sideways into store/ (layer 1)'),
    (f'{PACKAGE}.memory.service', 'import rclpy', 'may use ROS'),
    (f'{PACKAGE}.compose.config', f'from {PACKAGE} import msg', 'reaches back up into msg/'),
    (f'{PACKAGE}.helpers', 'import os', 'lives in no layer'),
])
def test_the_check_names_an_import_that_runs_back_up(module, text, expected):
    problems = check_layers({module: source(text)})
    assert len(problems) == 1 and expected in problems[0], problems
    assert problems[0].startswith(module)


def test_the_check_finds_a_circle_inside_a_folder():
    sources = {
        f'{PACKAGE}.embeddings.base': source(f'from {PACKAGE}.embeddings.local import X'),
        f'{PACKAGE}.embeddings.local': source(f'from {PACKAGE}.embeddings.base import Y'),
        f'{PACKAGE}.embeddings.providers': source(f'from {PACKAGE}.embeddings.base import Y'),
    }
    problems = check_layers(sources)
    assert problems == [f'import circle: {PACKAGE}.embeddings.base -> '
                        f'{PACKAGE}.embeddings.local -> {PACKAGE}.embeddings.base']


def test_the_check_lets_downward_and_same_folder_imports_pass():
    sources = {
        f'{PACKAGE}.ros.memory_node': source(
            f'import rclpy\nfrom {PACKAGE}.compose.factory import build\n'
            f'from {PACKAGE}.ros.conversions import c\nfrom {PACKAGE}.srv import Recall'),
        f'{PACKAGE}.ros.conversions': source(f'from {PACKAGE}.domain.records import R'),
        f'{PACKAGE}.memory': source('', is_package=True),
        f'{PACKAGE}.memory.service': source('from .recall import answer'),
        f'{PACKAGE}.memory.recall': source('from ..store.base import ScoredRecord'),
    }
    assert check_layers(sources) == []
