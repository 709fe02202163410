"""OpenSSL ex_data indices are allocated once per process, not anew on every
graceful restart (httpd reloads the module, which resets its statics; the
indices used to grow 4 -> 79 over 25 restarts).  Issue 13, item 6."""
import re

import pytest

from clients import get
from conftest import COMMON, tls_vhost
from tls_session import graceful, start_server, stop_server

INDICES = re.compile(r"PA00015: OpenSSL ex_data indices: (SSL_CTX \d+, X509_STORE_CTX \d+, SSL \d+)")


def body(pki):
    return (COMMON + "Listen 127.0.0.1:{tls}\n"
            + tls_vhost(pki, "tls", "optional_no_ca",
                        "    ProvAuthAcceptExpired On\n"
                        f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}",
                        """
    <Directory {root}/htdocs/dev>
        Require provauth-device
    </Directory>"""))


@pytest.fixture(scope="module")
def server(workdir, pki):
    server = start_server(workdir, "exdata524", body(pki), ["tls"],
                          log_level="info provauth:debug")
    yield server
    stop_server(server)


def test_indices_do_not_change_over_graceful_restarts(server, pki, expect_log):
    # Debian's mod_ssl, built against a newer OpenSSL than the one installed,
    # may say so at every configuration load.
    expect_log.append(r"AH01882")
    for _ in range(2):
        graceful(server)
        reply = get(pki, server.ports["tls"], "/dev/0004f2000001.cfg", "expired")
        assert reply.status == 200, f"after a graceful restart: {reply}"
    logged = INDICES.findall(server.read_log())
    # two configuration passes at start, one per graceful restart
    assert len(logged) >= 4, logged
    assert len(set(logged)) == 1, f"indices changed across restarts: {logged}"
