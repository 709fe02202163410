"""Own apache2 instances for the tests of slips in the security checks
(test_700..719): each test file starts one with the vhosts it needs, under
the error-log guard of conftest, and stops it when its tests are done."""
import os

from conftest import COMMON, SERVERS, STARTUP_NOISE, module_path
from httpd import BASE_MODULES, Httpd, free_port, make_world_readable

# mod_ssl's lines for certificates it tolerates or refuses, and mod_authz_core's
# "client denied": what refusing tests expect beside our PA00101.
REFUSAL_NOISE = [r"PA00101", r"AH01630", r"AH02039", r"AH02008", r"AH02040",
                 r"AH02261", r"AH02042", r"SSL Library Error"]


def start(workdir, name, body, port_names, files=(), module=None, modules=None,
          env=None, allowed=()):
    """Start apache2 with COMMON + body (which may use {root} and the ports),
    the docroot holding `files` (paths below htdocs), and extra environment
    variables for httpd itself."""
    root = os.path.join(workdir, name)
    docroot = os.path.join(root, "htdocs")
    for rel in files:
        path = os.path.join(docroot, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as out:
            out.write(f"{rel}\n")
    os.makedirs(docroot, exist_ok=True)
    make_world_readable(docroot)
    for dirpath, dirnames, _ in os.walk(docroot):
        for sub in dirnames:
            os.chmod(os.path.join(dirpath, sub), 0o755)
    ports = {key: free_port() for key in port_names}
    listen = "".join(f"Listen 127.0.0.1:{{{key}}}\n" for key in port_names)
    server = Httpd(root, COMMON + listen + body, module=module or module_path(),
                   modules=modules or BASE_MODULES, ports=ports)
    saved = {key: os.environ.get(key) for key in (env or {})}
    try:
        os.environ.update(env or {})
        server.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    server.allowed_startup = STARTUP_NOISE + list(allowed)
    SERVERS.append(server)
    return server


def stop(server):
    server.stop()
    SERVERS.remove(server)


def vhost(pki, port_key, verify, extra="", dirs="", ca_file=None):
    """A TLS virtual host like conftest's, trusting ca_file (default: the
    vendor roots) for client certificates."""
    return f"""
<VirtualHost 127.0.0.1:{{{port_key}}}>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {ca_file or pki.path('vendor-roots.pem')}
    SSLVerifyClient {verify}
    SSLVerifyDepth 5
{extra}
{dirs}
</VirtualHost>
"""


def directory(rel, *lines):
    """A <Directory> below the docroot holding the given lines."""
    body = "".join(f"        {line}\n" for line in lines)
    return f"""
    <Directory {{root}}/htdocs/{rel}>
{body}    </Directory>"""
