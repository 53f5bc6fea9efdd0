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
The files the lint tests check.

Named explicitly because the repository root also holds .venv, build/ and install/, which the
linters must not crawl, and because node executables have no .py suffix.
"""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYTHON_DIRS = ('shadowhound_memory', 'test', 'launch', 'bench', 'eval', 'scripts', 'examples')


def python_files() -> list[str]:
    """Return every Python source of the package, its tests, tools and node executables."""
    files = [str(ROOT / 'setup.py')]
    for folder in PYTHON_DIRS:
        files += sorted(str(p) for p in (ROOT / folder).rglob('*.py'))
    files += sorted(str(p) for p in (ROOT / 'nodes').iterdir() if p.is_file())
    return files
