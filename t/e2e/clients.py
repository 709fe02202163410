"""Real TLS clients for the end-to-end suite: Python's ssl, curl, openssl s_client."""
import http.client
import socket
import ssl
import subprocess
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int = 0                 # 0 when the TLS handshake or request failed
    headers: dict = field(default_factory=dict)
    error: str = ""                 # why the connection failed, if it did
    session_reused: bool = False
    http_version: str = ""
    body: bytes = b""

    @property
    def rejected(self):
        return self.status == 0

    def __str__(self):
        if self.rejected:
            return f"<rejected: {self.error}>"
        return (f"<{self.status} status={self.headers.get('x-provauth-status')} "
                f"error={self.headers.get('x-provauth-error')} "
                f"verify={self.headers.get('x-ssl-client-verify')}>")


def tls_context(pki, device=None, chain=True, legacy=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(pki.path("server-ca.pem"))
    if legacy:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
    if device:
        ctx.load_cert_chain(pki.chain(device) if chain else pki.cert(device), pki.key)
    return ctx


def get(pki, port, paths, device=None, chain=True, sni="localhost", session=None,
        legacy=False, context=None):
    """GET each path over one keep-alive connection; a Reply per path."""
    if isinstance(paths, str):
        paths = [paths]
    ctx = context or tls_context(pki, device, chain, legacy)
    replies = []
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock = ctx.wrap_socket(raw, server_hostname=sni, session=session)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.sock = sock
        for path in paths:
            conn.request("GET", path, headers={"Host": sni})
            resp = conn.getresponse()
            body = resp.read()
            replies.append(Reply(resp.status,
                                 {k.lower(): v for k, v in resp.getheaders()},
                                 session_reused=sock.session_reused,
                                 http_version="1.1", body=body))
        get.last_session = sock.session
        conn.close()
    except (ssl.SSLError, OSError, http.client.HTTPException) as err:
        replies.append(Reply(error=f"{type(err).__name__}: {err}"))
    return replies if len(replies) > 1 else replies[0]


get.last_session = None


def plain_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()})


def curl(pki, port, path, device=None, chain=True, http2=False, sni="localhost",
         extra=()):
    """GET with curl; headers parsed from -D."""
    url = f"https://{sni}:{port}{path}"
    cmd = ["curl", "-s", "-o", "/dev/null", "-D", "-", "--max-time", "10",
           "--cacert", pki.path("server-ca.pem"),
           "--resolve", f"{sni}:{port}:127.0.0.1",
           "-w", "\n%{http_version}"]
    if device:
        cmd += ["--cert", pki.chain(device) if chain else pki.cert(device),
                "--key", pki.key]
    cmd += ["--http2"] if http2 else ["--http1.1"]
    cmd += list(extra) + [url]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        return Reply(error=f"curl exit {result.returncode}: {result.stderr.strip()}")
    lines = result.stdout.strip().splitlines()
    version = lines[-1].strip()
    status_line = lines[0].split()
    headers = {}
    for line in lines[1:-1]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return Reply(int(status_line[1]), headers, http_version=version)


def s_client(pki, port, path, device, chain=True, legacy=False):
    """One request through `openssl s_client`; returns a Reply."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-quiet",
           "-servername", "localhost", "-CAfile", pki.path("server-ca.pem"),
           "-cert", pki.cert(device), "-key", pki.key]
    if chain:
        cmd += ["-cert_chain", pki.chain(device)]
    if legacy:
        cmd += ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    result = subprocess.run(cmd, input=request, capture_output=True, text=True,
                            timeout=20)
    lines = result.stdout.replace("\r", "").splitlines()
    if not lines or not lines[0].startswith("HTTP/"):
        return Reply(error=f"s_client exit {result.returncode}: {result.stderr.strip()[-300:]}")
    headers = {}
    for line in lines[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(lines[0].split()[1]), headers, http_version=lines[0].split()[0])
