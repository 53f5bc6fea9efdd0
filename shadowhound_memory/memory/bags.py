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
ROS 2 bags without a ROS install: the rosbags library, with this package's message types.

rosbags ships the standard message definitions; the package's own (Observation) are read from the
.msg files its build installs, so a bag recorded on the robot and one written here decode alike.
"""

import os
import pathlib

from rosbags.typesys import get_types_from_msg, get_typestore, Stores
from rosbags.typesys.store import Typestore

from shadowhound_memory.domain.errors import InvalidRequestError

PACKAGE = 'shadowhound_memory'
OWN_TYPES = ('Observation', 'MemoryPose', 'MemoryRecord')
OBSERVATION_TYPE = f'{PACKAGE}/msg/Observation'
TEXT_TYPE = 'std_msgs/msg/String'
POSE_TYPES = {'nav_msgs/msg/Odometry': 'odometry',
              'geometry_msgs/msg/PoseStamped': 'pose',
              'geometry_msgs/msg/PoseWithCovarianceStamped': 'pose_with_covariance'}


def message_folders() -> list[pathlib.Path]:
    """Return the folders that may hold the package's .msg files, most specific first."""
    prefixes = [p for p in os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep) if p]
    folders = [pathlib.Path(p, 'share', PACKAGE, 'msg') for p in prefixes]
    here = pathlib.Path(__file__).resolve()
    # An install tree (lib/pythonX/site-packages/<pkg>/memory) and the source tree
    # (<repo>/<pkg>/memory).
    folders += [parent / 'share' / PACKAGE / 'msg' for parent in here.parents]
    folders.append(here.parents[2] / 'msg')
    return folders


def typestore() -> Typestore:
    """Return a ROS 2 typestore that also knows this package's messages."""
    store = get_typestore(Stores.ROS2_KILTED)
    for folder in message_folders():
        if all((folder / f'{name}.msg').is_file() for name in OWN_TYPES):
            break
    else:
        raise InvalidRequestError(f'cannot find the {PACKAGE} message definitions '
                                  f'(share/{PACKAGE}/msg); source the workspace first')
    types = {}
    for name in OWN_TYPES:
        types.update(get_types_from_msg((folder / f'{name}.msg').read_text(),
                                        f'{PACKAGE}/msg/{name}'))
    store.register(types)
    return store
