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
memory_mcp in its own process, driven by the mcp SDK's own client, against a real memory node.

The node runs in this process (over DDS to the server's MemoryClient); the client lists the tools,
calls each, and gets bad arguments back as tool errors, over stdio and over streamable HTTP.
"""

import json
import os
import socket
import subprocess
import sys
import time

import anyio
from mcp.client.session import ClientSession
from mcp.client.stdio import stdio_client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
import pytest
from shadowhound_memory.agent.tools import TOOLS

pytestmark = pytest.mark.ros


def server_env():
    # A child Python must set up the ROS libraries itself (see the environment notes).
    return {k: v for k, v in os.environ.items() if k != '_ROS_WHEELS_BOOTSTRAP_COMPLETE'}


def server_args(namespace, *extra):
    return ['-m', 'shadowhound_memory.ros.memory_mcp', '--memory-namespace', f'/{namespace}',
            '--timeout', '60', *extra]


async def exercise(session):
    """Call every tool once and a few with bad arguments; return what came back."""
    await session.initialize()
    listed = await session.list_tools()
    out = {'tools': {t.name: t for t in listed.tools}}

    async def call(name, arguments):
        result = await session.call_tool(name, arguments, read_timeout_seconds=120)
        return result.is_error, json.loads(result.content[0].text)

    # The node may still be discovering the server's clients: the first call waits for it.
    out['remember'] = await call('remember', {'text': 'The charger is behind the sofa.',
                                              'x': 2.0, 'y': 3.0, 'tags': ['object:charger']})
    await call('remember', {'text': 'A red ball in the garage.', 'x': 40.0, 'y': -5.0})
    out['recall'] = await call('recall', {'question': 'Where is the charger?', 'k': 2})
    out['recall_near'] = await call('recall_near', {'question': 'what is here?', 'x': 40.0,
                                                    'y': -5.0, 'radius': 2.0})
    out['recall_since'] = await call('recall_since', {'question': 'what did we see?',
                                                      'seconds': 600})
    out['missing_question'] = await call('recall', {'k': 2})
    out['bad_k'] = await call('recall', {'question': 'x', 'k': 0})
    out['unknown_field'] = await call('remember', {'text': 'x', 'colour': 'red'})
    out['forget_mission'] = await call('forget_mission', {'mission_id': 'm1'})
    out['after_forget'] = await call('recall', {'question': 'Where is the charger?'})
    return out


def check(out):
    assert set(out['tools']) == {t.name for t in TOOLS}
    assert out['tools']['recall'].input_schema['required'] == ['question']
    error, remembered = out['remember']
    assert not error and remembered['ok'] and remembered['text'].startswith('The charger')
    error, recalled = out['recall']
    assert not error and recalled['memories'][0]['text'] == 'The charger is behind the sofa.'
    assert recalled['memories'][0]['id'] in recalled['cited_ids']
    error, near = out['recall_near']
    assert not error and [m['text'] for m in near['memories']] == ['A red ball in the garage.']
    error, since = out['recall_since']
    assert not error and len(since['memories']) == 2
    for case, words in (('missing_question', 'question'), ('bad_k', 'k'),
                        ('unknown_field', 'colour')):
        error, result = out[case]
        assert error and not result['ok'] and words in result['error'], (case, result)
    error, forgotten = out['forget_mission']
    assert not error and forgotten['deleted'] == 2
    assert out['after_forget'][1]['memories'] == []


def test_an_mcp_client_uses_every_tool_over_stdio(make_memory):
    memory = make_memory()

    async def run():
        params = StdioServerParameters(command=sys.executable,
                                       args=server_args(memory.namespace), env=server_env())
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                return await exercise(session)
    check(anyio.run(run))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_an_mcp_client_uses_every_tool_over_streamable_http_on_loopback(make_memory):
    memory = make_memory()
    port = free_port()
    server = subprocess.Popen([sys.executable, *server_args(memory.namespace, '--http',
                                                            '--port', str(port))],
                              env=server_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode(errors='replace')
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, 'memory_mcp --http never listened'
                time.sleep(0.2)

        async def run():
            async with streamable_http_client(f'http://127.0.0.1:{port}/mcp') as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    return await exercise(session)
        check(anyio.run(run))
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_http_server_refuses_an_address_off_loopback(make_memory):
    memory = make_memory()
    done = subprocess.run([sys.executable, *server_args(memory.namespace, '--http', '--host',
                                                        '0.0.0.0')],
                          env=server_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and 'loopback only' in done.stderr
