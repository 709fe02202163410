"""The other ways a protected answer could reach mod_cache (test_962 has
the direct one): a directory index or a MultiViews match that is a
device's file (httpd hands the sub-request's answer to the request by a
fast internal redirect, which keeps no_cache only where both had it), a
<RequireAny> whose other line grants (the provauth line never runs), and an
SSI page that includes the asking phone's own file.  Each: the phone
fetches twice (the second fetch would be a stored copy), then another
client asks for the same URL."""
import http.client
import os
import socket

import pytest

import slips
from clients import tls_context
from test_962_mod_cache import start_cached

VICTIM = "0004f2000001"
DIRS = """
    <Directory {root}/htdocs/idx>
        Require all granted
        DirectoryIndex sip.cfg
        <Files "*.cfg">
            Require provauth-mac path
        </Files>
    </Directory>
    <Directory {root}/htdocs/mv>
        Options +MultiViews
        Require all granted
        <Files "*.cfg">
            Require provauth-mac
        </Files>
    </Directory>
    <Directory {root}/htdocs/ssi>
        Options +Includes
        AddOutputFilter INCLUDES .shtml
        Require all granted
    </Directory>
    <Directory {root}/htdocs/cfg>
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/any>
        <RequireAny>
            Require ip 127.0.0.2
            Require provauth-mac
        </RequireAny>
    </Directory>
"""
FILES = ["ssi/phone.shtml", f"cfg/{VICTIM}.cfg", f"idx/{VICTIM}/sip.cfg", f"mv/{VICTIM}.cfg", f"any/{VICTIM}.cfg"]
MODULES = slips.BASE_MODULES + ["cache", "cache_socache", "dir", "negotiation", "authz_host", "include"]


@pytest.fixture(scope="module")
def srv(workdir, pki):
    server = start_cached(workdir, pki, "cachepaths", DIRS, FILES, MODULES,
                          extra="\n    AddType text/plain .cfg")
    with open(os.path.join(server.root, "htdocs", "ssi", "phone.shtml"), "w") as out:
        out.write('<!--#include virtual="/cfg/${PROVAUTH_MAC}.cfg" -->\n')
    page = os.path.join(server.root, "htdocs", "ssi", "phone.shtml")
    os.utime(page, (os.stat(page).st_mtime - 10 * 86400,) * 2)   # as start_cached's
    yield server
    slips.stop(server)


@pytest.fixture
def refusals(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


def fetch(pki, server, path, device=None, source="127.0.0.1"):
    raw = socket.create_connection(("127.0.0.1", server.ports["cache"]), timeout=10,
                                   source_address=(source, 0))
    sock = tls_context(pki, device).wrap_socket(raw, server_hostname="localhost")
    conn = http.client.HTTPConnection("127.0.0.1", server.ports["cache"], timeout=10)
    conn.sock = sock
    conn.request("GET", path, headers={"Host": "localhost"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


@pytest.mark.parametrize("path", [f"/idx/{VICTIM}/", f"/mv/{VICTIM}"])
def test_fast_redirect_into_a_protected_file(pki, srv, refusals, expect_log, path):
    expect_log.append("AH00687")   # mod_negotiation: no variant the client may read
    for _ in range(2):
        status, headers, body = fetch(pki, srv, path, "valid")
        assert status == 200, (path, status, headers)
    status, headers, body = fetch(pki, srv, path, None)   # no certificate at all
    # refused: 403, or for MultiViews 404 (no variant it may read)
    assert status in (403, 404), (path, status, headers.get("x-cache"), body)
    assert not headers.get("x-cache", "").startswith("HIT"), (path, headers)


def test_requireany_granted_by_an_earlier_line(pki, srv, refusals):
    path = f"/any/{VICTIM}.cfg"
    for _ in range(2):
        status, headers, body = fetch(pki, srv, path, None, source="127.0.0.2")  # admin subnet
        assert status == 200, (status, headers)
    status, headers, body = fetch(pki, srv, path, None)   # outsider, no certificate
    assert status == 403, (status, headers.get("x-cache"), body)


def test_ssi_page_including_the_phones_own_file(pki, srv, refusals, expect_log):
    """One URL for every phone, which includes the asking phone's file."""
    expect_log.append("unable to include")   # the attacker has no file of its own
    for _ in range(2):
        status, headers, body = fetch(pki, srv, "/ssi/phone.shtml", "valid")
        assert status == 200 and b"cfg/" + VICTIM.encode() in body, (status, body)
    status, headers, body = fetch(pki, srv, "/ssi/phone.shtml", "attacker")
    assert VICTIM.encode() not in body, (status, headers.get("x-cache"), body)
