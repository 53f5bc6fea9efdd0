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
The words the robot's memories are tagged with: colours, objects and rooms.

The deterministic writer derives tags from them and the query planner reads questions with them;
one list at the bottom of the layers keeps what is written and what is asked in the same terms.
"""

COLOURS = ('red', 'green', 'blue', 'yellow', 'black', 'white', 'orange', 'purple', 'pink',
           'brown', 'grey', 'gray', 'silver')
OBJECTS = ('ball', 'cup', 'mug', 'chair', 'table', 'sofa', 'couch', 'door', 'box', 'bottle',
           'laptop', 'phone', 'keys', 'backpack', 'bag', 'book', 'plant', 'lamp', 'tv', 'fridge',
           'sink', 'bed', 'shoe', 'toy', 'dog', 'cat', 'robot', 'charger', 'cable', 'package',
           'extinguisher', 'umbrella', 'wallet', 'glasses', 'remote', 'car')
ROOMS = {'kitchen': 'kitchen', 'living room': 'living_room', 'living_room': 'living_room',
         'bedroom': 'bedroom', 'bathroom': 'bathroom', 'hallway': 'hallway', 'hall': 'hallway',
         'office': 'office', 'garage': 'garage', 'lab': 'lab', 'lobby': 'lobby',
         'dining room': 'dining_room', 'storage room': 'storage_room', 'corridor': 'hallway'}
