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
The memory tools over the Model Context Protocol (the official mcp SDK), for any tool executor.

Desktop assistants and agent frameworks list and call the same tools an LLM gets from
shadowhound_memory.agent (same names, descriptions and JSON Schemas); each call runs the blocking
ToolExecutor in a worker thread, and a refused call (bad arguments, a memory error) comes back as
a tool result with isError set and the reason, never as a protocol error.
"""

import json
from typing import Any

import anyio
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from shadowhound_memory.agent.tools import mcp_tools, ToolExecutor

SERVER_NAME = 'shadowhound_memory'
LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def build_server(executor: ToolExecutor) -> Server[Any]:
    """Return an MCP server whose tools run through ``executor``."""
    tools = [types.Tool(name=t['name'], description=t['description'],
                        input_schema=t['inputSchema']) for t in mcp_tools()]

    async def list_tools(context: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(context: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        # The executor validates the arguments against the tool's schema and blocks on the node.
        result = await anyio.to_thread.run_sync(executor.execute, params.name,
                                                params.arguments or {})
        return types.CallToolResult(
            content=[types.TextContent(type='text', text=json.dumps(result))],
            structured_content=result, is_error=not result.get('ok', False))

    return Server(SERVER_NAME, instructions='Long-term memory of a robot: remember what it '
                  'observed, recall by question, place and time, forget a mission.',
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client over standard input and output until it closes them."""
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def serve_http(server: Server[Any], host: str, port: int) -> None:
    """Serve streamable HTTP at http://host:port/mcp; only loopback, the memory has no auth."""
    if host not in LOOPBACK:
        raise ValueError(f'host {host!r}: the MCP server listens on loopback only '
                         f'({", ".join(LOOPBACK)}); put an authenticating proxy in front')
    import uvicorn
    uvicorn.run(server.streamable_http_app(host=host), host=host, port=port, log_level='warning')
