"""The FastMCP echo server of bench/compare.sh: one `echo` tool over streamable HTTP.

    python fastmcp_echo.py --port 3000 [--stateless] [--proxy URL]

Default: handshake-era sessions with SSE answers (FastMCP's defaults). `--stateless`: no
sessions, JSON answers. `--proxy URL`: a FastMCP proxy of the MCP server at URL (same tool).
"""

import argparse

import fastmcp
from fastmcp import FastMCP


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--proxy")
    args = parser.parse_args()

    if args.proxy:
        from fastmcp.server import create_proxy

        server = create_proxy(args.proxy, name="fastmcp-echo-proxy")
    else:
        server = FastMCP("fastmcp-echo")

        @server.tool
        def echo(text: str) -> str:
            """Answers with the text it is given."""
            return text

    extra = {"stateless_http": True, "json_response": True} if args.stateless else {}
    print(f"fastmcp {fastmcp.__version__} ({'stateless' if args.stateless else 'sessions'})", flush=True)
    server.run(
        transport="http",
        host="127.0.0.1",
        port=args.port,
        path="/mcp",
        log_level="warning",
        show_banner=False,
        **extra,
    )


if __name__ == "__main__":
    main()
