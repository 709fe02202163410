"""Session fixtures for the end-to-end suite: the test PKI, a provauth httpd
and a stock httpd, and a guard that fails any test leaving an unexpected
warning or error in an error log."""
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from httpd import Httpd, free_port, module_available, make_world_readable  # noqa: E402
from pki import Pki  # noqa: E402

# Lines every instance may log at start-up and shut-down.
STARTUP_NOISE = [r"AH01906", r"AH01909", r"AH00558"]

SERVERS = []


def module_path():
    path = os.environ.get("PROVAUTH_MODULE")
    if not path or not os.path.exists(path):
        pytest.exit(f"PROVAUTH_MODULE must name the built mod_provauth.so (got {path!r})",
                    returncode=2)
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="provauth-e2e-")
    make_world_readable(path)
    yield path
    if not os.environ.get("PROVAUTH_KEEP"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pki(workdir):
    return Pki(os.path.join(workdir, "pki"))


def make_docroot(root):
    for directory in ["dev", "poly", "crl", "open"]:
        path = os.path.join(root, "htdocs", directory)
        os.makedirs(path, exist_ok=True)
        for name in ["0004f2000001.cfg", "shared.cfg"]:
            with open(os.path.join(path, name), "w") as out:
                out.write(f"{directory}/{name}\n")
    make_world_readable(os.path.join(root, "htdocs"))


COMMON = """
Header always set X-Provauth-Status "%{{PROVAUTH_STATUS}}e"
Header always set X-Provauth-Error "%{{PROVAUTH_ERROR}}e"
Header always set X-Provauth-Days-Left "%{{PROVAUTH_DAYS_LEFT}}e"
Header always set X-SSL-Client-Verify "%{{SSL_CLIENT_VERIFY}}s"
<Directory {root}/htdocs>
    Require all granted
</Directory>
"""


def tls_vhost(pki, port_key, verify, extra="", dirs="", server_name="localhost"):
    return f"""
<VirtualHost 127.0.0.1:{{{port_key}}}>
    ServerName {server_name}
    SSLEngine on
    SSLCertificateFile {pki.path('server.crt')}
    SSLCertificateKeyFile {pki.path('server.key')}
    SSLCACertificateFile {pki.path('vendor-roots.pem')}
    SSLVerifyClient {verify}
    SSLVerifyDepth 5
{extra}
{dirs}
</VirtualHost>
"""


def device_dir(root_rel, extra=""):
    return f"""
    <Directory {{root}}/htdocs/{root_rel}>
        {extra}
        Require provauth-device
    </Directory>"""


PROVAUTH_DIRS = (device_dir("dev")
                 + device_dir("poly", "ProvAuthCACertificateFile {pki_poly_root}")
                 + device_dir("crl", "ProvAuthCRLFile {pki_poly_crl}"))


def provauth_body(pki, ports):
    intermediates = f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    accept = "    ProvAuthAcceptExpired On"
    h2 = "    Protocols h2 http/1.1" if module_available("http2") else ""
    body = COMMON
    for key in ports:
        body += f"Listen 127.0.0.1:{{{key}}}\n"
    body += tls_vhost(pki, "noca", "optional_no_ca",
                      "\n".join([accept, intermediates, h2]), PROVAUTH_DIRS)
    body += tls_vhost(pki, "require", "require", "\n".join([accept, intermediates]),
                      PROVAUTH_DIRS)
    body += tls_vhost(pki, "optional", "optional", "\n".join([accept, intermediates]),
                      PROVAUTH_DIRS)
    body += tls_vhost(pki, "noint", "require", accept, PROVAUTH_DIRS)
    body += tls_vhost(pki, "unconfigured", "optional_no_ca")
    body += tls_vhost(pki, "sni", "require", "\n".join([accept, intermediates]),
                      PROVAUTH_DIRS, server_name="a.test")
    body += tls_vhost(pki, "sni", "require", intermediates, PROVAUTH_DIRS,
                      server_name="b.test")
    body += tls_vhost(pki, "legacy", "optional_no_ca",
                      "\n".join([accept, intermediates,
                                 "    SSLProtocol all",
                                 "    SSLCipherSuite DEFAULT:@SECLEVEL=0"]),
                      PROVAUTH_DIRS)
    body += """
<VirtualHost 127.0.0.1:{plain}>
    ServerName localhost
""" + device_dir("dev") + "\n</VirtualHost>\n"
    return body.replace("{pki_poly_root}", pki.path("poly-root.pem")) \
               .replace("{pki_poly_crl}", pki.path("poly-crl.pem"))


def stock_body(pki, ports):
    body = COMMON
    for key in ports:
        body += f"Listen 127.0.0.1:{{{key}}}\n"
    body += tls_vhost(pki, "stock_noca", "optional_no_ca")
    body += tls_vhost(pki, "stock_require", "require")
    return body


def _start(workdir, name, body_fn, pki, port_names, module, modules=None):
    root = os.path.join(workdir, name)
    make_docroot(root)
    ports = {key: free_port() for key in port_names}
    server = Httpd(root, body_fn(pki, ports), module=module, ports=ports,
                   modules=modules)
    server.start()
    server.allowed_startup = STARTUP_NOISE
    SERVERS.append(server)
    return server


@pytest.fixture(scope="session")
def provauth_httpd(workdir, pki):
    from httpd import BASE_MODULES
    modules = BASE_MODULES + (["http2"] if module_available("http2") else [])
    server = _start(workdir, "provauth", provauth_body, pki,
                    ["noca", "require", "optional", "noint", "unconfigured", "sni",
                     "legacy", "plain"], module_path(), modules)
    yield server
    server.stop()
    SERVERS.remove(server)


@pytest.fixture(scope="session")
def stock_httpd(workdir, pki):
    server = _start(workdir, "stock", stock_body, pki,
                    ["stock_noca", "stock_require"], None)
    yield server
    server.stop()
    SERVERS.remove(server)


@pytest.fixture
def expect_log():
    """Patterns of warn/error lines the current test expects."""
    return []


@pytest.fixture(autouse=True)
def error_log_guard(expect_log):
    for server in SERVERS:
        server.new_log_lines()
    yield
    for server in list(SERVERS):
        lines = server.new_log_lines()
        unexpected = server.problems(lines, expect_log + server.allowed_startup)
        assert not unexpected, ("unexpected warn/error lines in "
                                f"{server.error_log}:\n" + "\n".join(unexpected))
