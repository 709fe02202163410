"""Requests for the sub-request, internal-redirect and WebDAV tests: any
method with a device certificate, and reading the error log as it grows."""
import http.client
import re
import ssl
import time

from clients import tls_context


def dav(pki, server, method, path, device, body=None, headers=None):
    """One request; returns (status, lower-cased headers, body bytes)."""
    ctx = tls_context(pki, device) if device else tls_context(pki)
    port = server.ports["sub"]
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    sent = {"Host": "localhost"}
    sent.update(headers or {})
    try:
        conn.request(method, path, body=body, headers=sent)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    except (ssl.SSLError, OSError) as err:
        return 0, {"error": str(err)}, b""
    finally:
        conn.close()


def destination(server, path):
    return f"https://localhost:{server.ports['sub']}{path}"


class LogWatch:
    """Error-log lines written after it was made (without consuming them
    for the error-log guard)."""

    def __init__(self, server):
        self.server = server
        self.start = len(server.read_log())

    def lines(self):
        return self.server.read_log()[self.start:].splitlines()

    def wait_for(self, pattern, timeout=3.0):
        """The first new line matching pattern; denials of sub-requests are
        logged when httpd releases them, just after the response."""
        deadline = time.time() + timeout
        while True:
            found = [line for line in self.lines() if re.search(pattern, line)]
            if found or time.time() > deadline:
                return found
            time.sleep(0.05)
