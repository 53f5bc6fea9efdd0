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
memory_mcp: the robot's memory for Model Context Protocol clients, through a running memory node.

    ros2 run shadowhound_memory memory_mcp                       # stdio (desktop assistants)
    ros2 run shadowhound_memory memory_mcp --http --port 8765    # http://127.0.0.1:8765/mcp

The tools are carried out by MemoryClient against the node's services; its own node spins in a
background thread, as an agent's would.
"""

import argparse
import sys
import threading

import anyio
import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.utilities import remove_ros_args
from shadowhound_memory.agent.mcp_server import build_server, LOOPBACK, serve_http, serve_stdio
from shadowhound_memory.agent.tools import ToolExecutor
from shadowhound_memory.ros.memory_client import MemoryClient


def build_parser() -> argparse.ArgumentParser:
    """Return the command line of memory_mcp."""
    parser = argparse.ArgumentParser(
        prog='memory_mcp', description='Serve the memory tools (remember, recall, recall_near, '
        'recall_since, locate, last_seen, forget_mission) over MCP, carried out by a running '
        'memory node.')
    parser.add_argument('--http', action='store_true',
                        help='streamable HTTP on loopback instead of stdio')
    parser.add_argument('--host', default='127.0.0.1', help='loopback address for --http')
    parser.add_argument('--port', type=int, default=8765, help='port for --http')
    parser.add_argument('--memory-namespace', default='',
                        help="namespace of the memory node (default: this node's)")
    parser.add_argument('--mission-id', default=None,
                        help="mission of the requests (default: the node's current one)")
    parser.add_argument('--timeout', type=float, default=30.0,
                        help='seconds a memory request may take')
    parser.add_argument('--synthesize', action='store_true',
                        help="answers written by the node's LLM recall route")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the MCP server until the client goes away (stdio) or Ctrl-C."""
    argv = sys.argv if argv is None else argv
    args = build_parser().parse_args(remove_ros_args(argv)[1:])
    if args.http and args.host not in LOOPBACK:
        print(f'memory_mcp: --host {args.host}: the server listens on loopback only '
              f'({", ".join(LOOPBACK)}); the memory has no authentication of its own',
              file=sys.stderr)
        return 1
    rclpy.init(args=argv)
    node = rclpy.create_node('memory_mcp')
    executor = MultiThreadedExecutor(num_threads=2)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        client = MemoryClient(node, namespace=args.memory_namespace, timeout_s=args.timeout,
                              mission_id=args.mission_id)
        server = build_server(ToolExecutor(client, synthesize=args.synthesize))
        if args.http:
            serve_http(server, args.host, args.port)
        else:
            anyio.run(serve_stdio, server)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        executor.shutdown(timeout_sec=2.0)
        spinner.join(timeout=5.0)
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
