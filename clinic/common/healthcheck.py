"""The container health check: `python -m clinic.healthcheck` exits 0 when /health/ is 200.

The Dockerfile's HEALTHCHECK runs it inside the web container. It does not set Django up (no
settings, no database connection of its own: the web server's /health/ checks those) and
reads the same environment as the app: the request names the first of ALLOWED_HOSTS as its
Host (Django answers 400 to any other) and goes to 127.0.0.1 on PORT (default 8000, the
port the image's gunicorn binds).
"""

from __future__ import annotations

import http.client
import os
import sys


def health_host(allowed_hosts: str) -> str:
    """The Host header to send: the first concrete name in ALLOWED_HOSTS."""
    for host in (h.strip() for h in allowed_hosts.split(",")):
        if host and host != "*":
            # ".example.org" allows the domain and its subdomains.
            return host.lstrip(".")
    return "localhost"


def check(*, port: int, host_header: str, timeout: float = 5.0) -> tuple[bool, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/health/", headers={"Host": host_header})
        response = connection.getresponse()
        body = response.read(500).decode("utf-8", "replace")
    except OSError as exc:
        return False, f"no answer from 127.0.0.1:{port}: {exc}"
    finally:
        connection.close()
    return response.status == 200, f"/health/ {response.status}: {body}"


def main() -> int:
    try:
        port = int(os.environ.get("PORT", "8000"))
    except ValueError:
        print(f"PORT={os.environ['PORT']!r} is not a port number", file=sys.stderr)
        return 2
    healthy, message = check(
        port=port, host_header=health_host(os.environ.get("ALLOWED_HOSTS", ""))
    )
    print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
