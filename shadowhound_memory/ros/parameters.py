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
The memory node's parameters: declared, described and validated from MemoryConfig.

MemoryConfig is the one source of names, defaults, bounds and descriptions; this module only
turns it into ROS parameter descriptors and turns a `ros2 param set` into a new, valid config or a
refusal with the reason.
"""

from pydantic import ValidationError
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter
from shadowhound_memory.compose.config import MemoryConfig
from shadowhound_memory.domain.errors import InvalidRequestError
from shadowhound_memory.domain.records import format_validation_error


def descriptor(name: str) -> ParameterDescriptor:
    """Build a parameter's descriptor from its MemoryConfig field, the one source of the rules."""
    field = MemoryConfig.model_fields[name]
    described = ParameterDescriptor(name=name, description=field.description or '',
                                    read_only=MemoryConfig.is_read_only(name))
    low = high = None
    for rule in field.metadata:
        low = getattr(rule, 'ge', getattr(rule, 'gt', low))
        high = getattr(rule, 'le', getattr(rule, 'lt', high))
    if field.annotation is int and (low is not None or high is not None):
        described.integer_range = [IntegerRange(
            from_value=int(low if low is not None else -2**63),
            to_value=int(high if high is not None else 2**63 - 1), step=0)]
    elif field.annotation is float and (low is not None or high is not None):
        described.floating_point_range = [FloatingPointRange(
            from_value=float(low if low is not None else -1e308),
            to_value=float(high if high is not None else 1e308), step=0.0)]
    return described


def declare_parameters(node: Node) -> MemoryConfig:
    """Declare every MemoryConfig field on the node; return the validated start values."""
    defaults = MemoryConfig()
    for name in MemoryConfig.parameter_names():
        node.declare_parameter(name, getattr(defaults, name), descriptor(name))
    values = {name: node.get_parameter(name).value for name in MemoryConfig.parameter_names()}
    try:
        return MemoryConfig.model_validate(values)
    except ValidationError as exc:
        raise InvalidRequestError(
            'invalid parameters: ' + '; '.join(format_validation_error(exc))) from exc


def updated_config(current: MemoryConfig, params: list[Parameter]) -> MemoryConfig | None:
    """
    Return the config with the changed parameters, or None when none of them is the memory's.

    Raises InvalidRequestError with the reason when the new values are refused, so a set is
    either applied whole or not at all.
    """
    updates = {p.name: p.value for p in params if p.name in MemoryConfig.model_fields}
    if not updates:
        return None
    try:
        return MemoryConfig.model_validate({**current.model_dump(), **updates})
    except ValidationError as exc:
        raise InvalidRequestError('; '.join(format_validation_error(exc))) from exc
