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

"""A small furnished house of memories shared by the core tests: text and map position."""

WORLD = [
    ('Red ball under the kitchen table.', (1.0, 1.0)),
    ('Blue mug on the counter next to the sink.', (2.0, 1.5)),
    ('Alice reading on the living room sofa.', (6.0, 4.0)),
    ('The charger is behind the television.', (7.0, 5.0)),
    ('Black backpack on the bedroom floor.', (12.0, 2.0)),
    ('Smoke detector chirping in the hallway.', (4.0, 8.0)),
    ('Keys on the hook by the front door.', (0.5, 9.0)),
    ('Green plant in the office window.', (15.0, 7.0)),
    ('Silver laptop open on the office desk.', (15.5, 6.0)),
    ('Garage door left half open.', (20.0, 0.0)),
    ('Box of screws on the garage workbench.', (21.0, 1.0)),
    ('Umbrella leaning against the coat rack.', (1.0, 8.5)),
    ('A toy car under the dining chair.', (3.0, 3.0)),
    ('Wallet on the nightstand.', (12.5, 3.0)),
    ('Package delivered at the porch.', (-1.0, 10.0)),
    ('Dog sleeping in its basket.', (5.0, 6.0)),
    ('Window open in the bathroom.', (9.0, 9.0)),
    ('Fire extinguisher mounted in the garage.', (19.0, 2.0)),
    ('Bottle of water on the fridge shelf.', (2.5, 0.5)),
    ('Reading glasses on the coffee table.', (6.5, 3.5)),
]
