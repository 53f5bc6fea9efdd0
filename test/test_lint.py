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

"""Style and packaging checks: ament's flake8 and pep257, copyright headers, package.xml, mypy."""

import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

from lint_paths import python_files, ROOT
import pytest

pytestmark = pytest.mark.lint

LICENSE_LINE = 'Licensed under the Apache License, Version 2.0'


def test_flake8_with_ament_configuration_is_clean():
    from ament_flake8.main import main_with_errors
    rc, errors = main_with_errors(argv=python_files())
    assert rc == 0, 'Found %d code style errors / warnings:\n' % len(errors) + '\n'.join(errors)


def test_docstrings_follow_ament_pep257():
    from ament_pep257.main import main
    rc = main(argv=python_files())
    assert rc == 0, 'Found docstring errors (see above)'


def test_every_source_file_has_the_apache_header():
    # ament_copyright has no wheel on PyPI; on a robot with apt ROS it runs as well (below), and
    # this check holds the same rule everywhere: a copyright line and the Apache-2.0 notice.
    shell_scripts = [str(p) for p in (ROOT / 'scripts').glob('*.sh')]
    missing = []
    for name in python_files() + shell_scripts:
        head = pathlib.Path(name).read_text().splitlines()[:16]
        if not any(line.lstrip('# ').startswith('Copyright 20') for line in head) or \
                not any(LICENSE_LINE in line for line in head):
            missing.append(name)
    assert not missing, 'files without the Apache-2.0 header:\n' + '\n'.join(missing)


def test_ament_copyright_when_installed():
    try:
        from ament_copyright.main import main
    except ImportError:
        pytest.skip('ament_copyright is not installed (no wheel on PyPI); the header test above '
                    'applies the same rule')
    assert main(argv=['--exclude', str(ROOT / 'LICENSE')] + python_files()) == 0


def test_package_xml_is_well_formed_format_3_with_its_dependencies():
    tree = ElementTree.parse(ROOT / 'package.xml')
    assert tree.getroot().get('format') == '3'
    from catkin_pkg.package import parse_package
    package = parse_package(str(ROOT))
    package.validate()
    names = {d.name for d in package.build_depends + package.exec_depends + package.test_depends
             + package.buildtool_depends}
    for needed in ('rclpy', 'std_msgs', 'nav_msgs', 'diagnostic_msgs', 'visualization_msgs',
                   'rosidl_default_generators', 'rosidl_default_runtime', 'launch_ros',
                   'launch_testing', 'python3-pydantic'):
        assert needed in names, f'package.xml lacks a dependency on {needed}'
    assert package.get_build_type() == 'ament_cmake'


def test_config_yaml_files_parse_to_mappings():
    import yaml
    for path in (ROOT / 'config').glob('*.yaml'):
        assert isinstance(yaml.safe_load(path.read_text()), dict), path


def test_mypy_is_clean_on_the_package():
    result = subprocess.run(
        [sys.executable, '-m', 'mypy', '--config-file', str(ROOT / 'setup.cfg'),
         str(ROOT / 'shadowhound_memory')],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
