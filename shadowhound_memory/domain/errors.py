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
The package's own error types.

Service handlers catch these and answer ``success=false`` with the message, so every message is
written for the person reading the service response, and says what to change.
"""


class MemoryPackageError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidRequestError(MemoryPackageError):
    """A request or record that breaks a documented rule; nothing was changed."""


class SchemaError(InvalidRequestError):
    """A memory record that does not match the schema; ``reasons`` lists each violation."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons: list[str] = list(reasons or [message])


class StoreError(MemoryPackageError):
    """The vector store failed to read or write; stored data was left as it was."""


class EmbeddingMismatchError(StoreError):
    """An existing collection holds vectors of another embedding model or dimension."""


class BackendUnavailableError(MemoryPackageError):
    """A backend (Qdrant server, embedding endpoint, LLM server) could not be reached in time."""
