"""Clients and a server helper for the handshake tests (test_52x): one request
per TLS connection with an SNI and a Host chosen separately, TLS 1.2 or 1.3,
and session resumption through Python's ssl and `openssl s_client`."""
import http.client
import os
import re
import socket
import ssl
import subprocess
import time

from clients import Reply, tls_context
from conftest import SERVERS, STARTUP_NOISE, make_docroot, module_path, write_auth_files
from httpd import APACHE2, Httpd, free_port

TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


class Client:
    """A device's client: one SSLContext (Python resumes only sessions of
    the context that made them) and the last session it received."""

    def __init__(self, pki, device, tls="1.3"):
        self.ctx = tls_context(pki, device)
        self.ctx.minimum_version = self.ctx.maximum_version = TLS_VERSIONS[tls]
        self.session = None

    def get(self, port, paths, sni="localhost", host=None, resume=False):
        """GET each path over one keep-alive connection (SNI `sni`, None for
        none; Host `host`, default the SNI, or one Host per path); a Reply
        per path (a list when several).  resume: offer the last session received."""
        if isinstance(paths, str):
            paths = [paths]
        host = host or sni or "localhost"
        hosts = [host] * len(paths) if isinstance(host, str) else host
        replies = []
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock = self.ctx.wrap_socket(raw, server_hostname=sni,
                                        session=self.session if resume else None)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.sock = sock
            for path, name in zip(paths, hosts):
                conn.request("GET", path, headers={"Host": name})
                resp = conn.getresponse()
                resp.read()
                replies.append(Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                                     session_reused=sock.session_reused,
                                     http_version=sock.version()))
            # TLS 1.3 tickets arrive after the handshake: read by now.
            self.session = sock.session
            conn.close()
        except (ssl.SSLError, OSError, http.client.HTTPException) as err:
            replies.append(Reply(error=f"{type(err).__name__}: {err}"))
        return replies if len(replies) > 1 else replies[0]


def s_client(pki, port, path, device, tls, sess_out=None, sess_in=None, sni="localhost"):
    """One request through `openssl s_client`, saving or offering a session
    file; the Reply's session_reused comes from s_client's own report."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof",
           f"-tls{tls.replace('.', '_')}", "-servername", sni,
           "-CAfile", pki.path("server-ca.pem"),
           "-cert", pki.cert(device), "-key", pki.key, "-cert_chain", pki.chain(device)]
    if sess_out:
        cmd += ["-sess_out", sess_out]
    if sess_in:
        cmd += ["-sess_in", sess_in]
    request = f"GET {path} HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n"
    result = subprocess.run(cmd, input=request, capture_output=True, text=True, timeout=20)
    out = result.stdout.replace("\r", "")
    start = out.find("HTTP/1.1 ")
    if start < 0:
        return Reply(error=f"s_client exit {result.returncode}: {result.stderr.strip()[-300:]}")
    lines = out[start:].splitlines()
    headers = {}
    for line in lines[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(lines[0].split()[1]), headers,
                 session_reused=bool(re.search(r"^Reused, ", out, re.M)),
                 http_version=f"TLSv{tls}")


def start_server(workdir, name, body, ports, log_level="info", extra_dirs=(), modules=None):
    """A provauth httpd of its own (config body with {root} and the port
    keys), under the suite's error-log guard; stop it with stop_server."""
    root = os.path.join(workdir, name)
    make_docroot(root)
    write_auth_files(root)
    for directory in extra_dirs:
        path = os.path.join(root, "htdocs", directory)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "0004f2000001.cfg"), "w") as out:
            out.write(f"{directory}/0004f2000001.cfg\n")
        os.chmod(path, 0o755)
        os.chmod(os.path.join(path, "0004f2000001.cfg"), 0o644)
    server = Httpd(root, body, module=module_path(), modules=modules,
                   ports={key: free_port() for key in ports}, log_level=log_level)
    server.start()
    server.allowed_startup = STARTUP_NOISE
    SERVERS.append(server)
    return server


def stop_server(server):
    server.stop()
    SERVERS.remove(server)


def graceful(server, timeout=15):
    """apache2 -k graceful, then wait until the new generation serves."""
    before = server.read_log().count("resuming normal operations")
    subprocess.run([APACHE2, "-f", server.conf, "-k", "graceful"], check=True,
                   capture_output=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.read_log().count("resuming normal operations") > before:
            return
        time.sleep(0.05)
    raise RuntimeError(f"no graceful restart within {timeout}s:\n{server.read_log()[-2000:]}")
