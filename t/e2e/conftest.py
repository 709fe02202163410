"""Session fixtures for the end-to-end suite: the test PKI, a provauth httpd
and a stock httpd, and a guard that fails any test leaving an unexpected
warning or error in an error log."""
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from httpd import RUN_USER, Httpd, free_port, module_available, make_world_readable  # noqa: E402
from pki import Pki  # noqa: E402

# Lines every instance may log at start-up and shut-down.
STARTUP_NOISE = [r"AH01906", r"AH01909", r"AH00558",
                 r"PA00005: the virtual host localhost \(.*:(\d+)\) has no",  # noint et al.
                 r"PA00004: .*poly-crl-stale.pem",  # the stale-CRL directory's on purpose
                 # expired phones refused by vhosts that keep doing so on purpose
                 r"PA00121: TLS handshake refused"]

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


PROVISIONING_FILES = {
    "dev": ["0004f2000001.cfg", "shared.cfg"],
    "poly": ["0004f2000001.cfg"],
    "crl": ["0004f2000001.cfg"],
    "open": ["shared.cfg"],
    "polycom": ["0004f2000001.cfg", "0004F2000001-phone.cfg", "0004f20000aa.cfg",
                "0004f200000d.cfg", "000000000000.cfg", "y000000000028.cfg"],
    "yealink": ["001565000010.cfg", "001565000011.cfg", "y000000000028.cfg",
                "0004f2000001.cfg"],
    "cisco": ["SEP001122334455.cnf.xml", "SEP0004f2000001.cnf.xml"],
    "tree/0004f2000001": ["phone.cfg"],
    "tree/0004f20000aa": ["phone.cfg"],
    "allow": ["0004f2000001.cfg", "0004f20000aa.cfg", "0004f200000d.cfg"],
    "mfa": ["0004f2000001.cfg"],
    "fallback": ["0004f2000001.cfg"],
    "pathinfo": ["0004f2000001.cfg", "0004f20000aa.cfg"],
    "stalecrl": ["0004f2000001.cfg"],
    "logs": [],
}


ALLOWLIST = """# devices of customer A
0004f2000001
00:04:F2:00:00:0D   # a colon-written entry

001565000010
"""
PHONE_USER, PHONE_PASSWORD = "phone", "s3cret-prov"


def write_auth_files(root):
    import base64
    import hashlib
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "allowlist.txt"), "w") as out:
        out.write(ALLOWLIST)
    digest = base64.b64encode(hashlib.sha1(PHONE_PASSWORD.encode()).digest()).decode()
    with open(os.path.join(root, "htpasswd"), "w") as out:
        out.write(f"{PHONE_USER}:{{SHA}}{digest}\n")
    os.chmod(os.path.join(root, "htpasswd"), 0o644)


def make_docroot(root):
    for directory, names in PROVISIONING_FILES.items():
        path = os.path.join(root, "htdocs", directory)
        os.makedirs(path, exist_ok=True)
        for name in names:
            with open(os.path.join(path, name), "w") as out:
                out.write(f"{directory}/{name}\n")
    make_world_readable(os.path.join(root, "htdocs"))
    # A file httpd itself refuses to serve (handler 403, not authorization).
    unreadable = os.path.join(root, "htdocs", "fallback", "0004f2000001-locked.cfg")
    with open(unreadable, "w") as out:
        out.write("locked\n")
    os.chmod(unreadable, 0)
    # Phones upload their logs here (PUT through mod_dav).
    os.makedirs(os.path.join(root, "dav"), exist_ok=True)
    for writable in [os.path.join(root, "htdocs", "logs"), os.path.join(root, "dav")]:
        shutil.chown(writable, user=RUN_USER, group=RUN_USER)


COMMON = """
Header always set X-Provauth-Status "%{{PROVAUTH_STATUS}}e"
Header always set X-Provauth-Error "%{{PROVAUTH_ERROR}}e"
Header always set X-Provauth-Days-Left "%{{PROVAUTH_DAYS_LEFT}}e"
Header always set X-Provauth-Mac "%{{PROVAUTH_MAC}}e"
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


MAC_DIRS = """
    DavLockDB {root}/dav/lockdb
    <Directory {root}/htdocs/polycom>
        ProvAuthCACertificateFile {pki_poly_root}
        Require provauth-mac
        <Files "000000000000.cfg">
            Require provauth-device
        </Files>
    </Directory>
    <Directory {root}/htdocs/yealink>
        ProvAuthCACertificateFile {pki_yea_root}
        Require provauth-mac
        <FilesMatch "^y0000000000[0-9a-f]{{2}}\\.cfg$">
            Require provauth-device
        </FilesMatch>
    </Directory>
    <Directory {root}/htdocs/cisco>
        ProvAuthMACFrom CN "SEP([0-9A-Fa-f]{{12}})$"
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/tree>
        Require provauth-mac path
    </Directory>
    <Directory {root}/htdocs/allow>
        <RequireAll>
            Require provauth-mac
            Require provauth-allowlist {root}/allowlist.txt
        </RequireAll>
    </Directory>
    <Directory {root}/htdocs/mfa>
        AuthType Basic
        AuthName "provisioning"
        AuthUserFile {root}/htpasswd
        <RequireAll>
            Require provauth-mac
            Require valid-user
        </RequireAll>
    </Directory>
    <Directory {root}/htdocs/fallback>
        AuthType Basic
        AuthName "provisioning"
        AuthUserFile {root}/htpasswd
        <RequireAny>
            Require provauth-mac
            Require valid-user
        </RequireAny>
    </Directory>
    <Directory {root}/htdocs/stalecrl>
        ProvAuthCRLFile {pki_stale_crl}
        Require provauth-device
    </Directory>
    <Directory {root}/htdocs/logs>
        Dav On
        Require provauth-mac
    </Directory>"""


PATH_INFO_DIR = """
    <Directory {root}/htdocs/pathinfo>
        AcceptPathInfo On
        Require provauth-mac
    </Directory>"""


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
    # No ProvAuthAcceptExpired: our wrapper is not installed, mod_ssl alone
    # runs the handshake; re-validation must still refuse what it tolerates.
    # (Off said explicitly: refusing expired phones is meant, PA00041.)
    body += tls_vhost(pki, "noaccept", "optional_no_ca",
                      "\n".join([intermediates, "    ProvAuthAcceptExpired Off"]),
                      PROVAUTH_DIRS + PATH_INFO_DIR)
    # mod_ssl's own CRLs, with its leniency for CAs that publish none.
    body += tls_vhost(pki, "modsslcrl", "optional_no_ca",
                      "\n".join([accept, intermediates,
                                  f"    SSLCARevocationFile {pki.path('poly-crl.pem')}",
                                  "    SSLCARevocationCheck chain no_crl_for_cert_ok"]),
                      PROVAUTH_DIRS)
    body += tls_vhost(pki, "sni", "require", "\n".join([accept, intermediates]),
                      PROVAUTH_DIRS, server_name="a.test")
    body += tls_vhost(pki, "sni", "require",
                      "\n".join([intermediates, "    ProvAuthAcceptExpired Off"]),
                      PROVAUTH_DIRS, server_name="b.test")
    body += tls_vhost(pki, "legacy", "optional_no_ca",
                      "\n".join([accept, intermediates,
                                 "    SSLProtocol all",
                                 "    SSLCipherSuite DEFAULT:@SECLEVEL=0"]),
                      PROVAUTH_DIRS)
    body += tls_vhost(pki, "mac", "optional_no_ca",
                      "\n".join([accept, intermediates]),
                      MAC_DIRS.replace("{pki_yea_root}", pki.path("yealink-root.pem")))
    body += """
<VirtualHost 127.0.0.1:{plain}>
    ServerName localhost
""" + device_dir("dev") + "\n</VirtualHost>\n"
    return body.replace("{pki_poly_root}", pki.path("poly-root.pem")) \
               .replace("{pki_stale_crl}", pki.path("poly-crl-stale.pem")) \
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
    write_auth_files(root)
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
    modules += ["dav", "dav_fs"]
    server = _start(workdir, "provauth", provauth_body, pki,
                    ["noca", "require", "optional", "noint", "unconfigured", "sni",
                     "legacy", "plain", "mac", "noaccept", "modsslcrl"],
                    module_path(), modules)
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
        server.settle()
        lines = server.new_log_lines()
        unexpected = server.problems(lines, expect_log + server.allowed_startup)
        assert not unexpected, ("unexpected warn/error lines in "
                                f"{server.error_log}:\n" + "\n".join(unexpected))


# ---- sub-requests, internal redirects and WebDAV (tests 500-519) ----------
# An instance of their own: it loads rewrite, dir, negotiation and include,
# which would change what the shared instance serves.

@pytest.fixture(scope="session")
def subreq_httpd(workdir, pki):
    from httpd import BASE_MODULES
    from subreq_server import SUBREQ_MODULES, subreq_body, subreq_files
    server = _start(workdir, "subreq", subreq_body, pki, ["sub"], module_path(),
                    BASE_MODULES + SUBREQ_MODULES)
    subreq_files(server.root)
    yield server
    server.stop()
    SERVERS.remove(server)


# ---- the attacker's-view review (tests 950-969) ---------------------------
# An instance of its own: a reverse proxy and its back end, server-level
# rewrites, per-directory SSLVerifyClient and two name-based virtual hosts.

@pytest.fixture(scope="session")
def attack_httpd(workdir, pki):
    from httpd import BASE_MODULES
    from attack_server import (ATTACK_MODULES, ATTACK_PORTS, STARTUP, attack_body,
                               attack_files)
    server = _start(workdir, "attack", attack_body, pki, ATTACK_PORTS, module_path(),
                    BASE_MODULES + ATTACK_MODULES)
    server.allowed_startup = STARTUP_NOISE + STARTUP
    attack_files(server.root)
    yield server
    server.stop()
    SERVERS.remove(server)
