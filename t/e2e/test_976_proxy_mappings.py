"""Review finding: URL mappings whose target is a proxy URL are not checked.

docs/security.md promises that a server-level RewriteRule to a file path, an
AliasMatch or a rule that picks the file from the query string "cannot map
a URL of the phone's name to another phone's file": the decision compares
the file the URL is mapped to (r->filename) with the device's MAC
(test_952, TestServerLevelMappings).  The same mappings with a proxy URL as
their target (ProxyPassMatch, RewriteRule ... [P], in server context or in
a <Directory>) leave r->filename as "proxy:http://...", which the check
skips as "not a file" (mod_provauth_authz.c, served_file()); a per-directory
RewriteRule [P] runs in the fixups, after authorization, and does no
internal redirect that mod_provauth could authorize again.  The back end
here is plain httpd serving exactly the path it is asked for (no PATH_INFO,
no path parameters): the documented reverse-proxy limit does not apply.

Each mapping gets a control: the phone's own name through the same mapping
is served, so the refusals expected would prove something."""

import pytest

import clients
import slips
from device_tree import ATTACKER, VICTIM, secret, write_tree

V, A = VICTIM, ATTACKER

MAPPINGS = r"""
    # Server-level mappings to a back end that serves the same tree.
    ProxyPassMatch ^/pm/([0-9a-f]{{12}}) http://127.0.0.1:{back}/cfg/$1.cfg
    <Location /pm/>
        Require provauth-mac
    </Location>
    RewriteEngine On
    RewriteCond %{{QUERY_STRING}} ^mac=([0-9a-f]{{12}})$
    RewriteRule ^/pq/[0-9a-f]{{12}}\.cfg$ http://127.0.0.1:{back}/cfg/%1.cfg [P]
    RewriteRule ^/pr/([0-9a-f]{{12}})/ http://127.0.0.1:{back}/cfg/$1.cfg [P]
    <Location /pq/>
        Require provauth-mac
    </Location>
    <Location /pr/>
        Require provauth-mac
    </Location>
    # The same, per directory: a RewriteRule [P] in the phone directory.
    <Directory {root}/htdocs/dq>
        Require provauth-mac
        RewriteEngine On
        RewriteCond %{{QUERY_STRING}} ^mac=([0-9a-f]{{12}})$
        RewriteRule ^[0-9a-f]{{12}}\.cfg$ http://127.0.0.1:{back}/cfg/%1.cfg [P]
    </Directory>
    # The same under ProvAuthReportOnly: reported, not enforced.
    <Directory {root}/htdocs/ro>
        ProvAuthReportOnly On
        Require provauth-mac
        RewriteEngine On
        RewriteCond %{{QUERY_STRING}} ^mac=([0-9a-f]{{12}})$
        RewriteRule ^[0-9a-f]{{12}}\.cfg$ http://127.0.0.1:{back}/cfg/%1.cfg [P]
    </Directory>
    # The file-path twin of /pq/ (test_952 covers it): refused today.
    RewriteCond %{{QUERY_STRING}} ^mac=([0-9a-f]{{12}})$
    RewriteRule ^/fq/[0-9a-f]{{12}}\.cfg$ {root}/htdocs/cfg/%1.cfg
    <Directory {root}/htdocs/cfg>
        Require provauth-mac
    </Directory>"""

BACKEND = r"""
<VirtualHost 127.0.0.1:{back}>
    ServerName backend
</VirtualHost>
"""


@pytest.fixture(scope="module")
def proxy_httpd(workdir, pki):
    body = slips.vhost(pki, "tls", "optional_no_ca", "    ProvAuthAcceptExpired On",
                       MAPPINGS) + BACKEND
    server = slips.start(workdir, "proxymap", body, ["tls", "back"],
                         modules=slips.BASE_MODULES + ["rewrite", "alias", "proxy",
                                                       "proxy_http"],
                         allowed=[r"PA00005"])
    write_tree(server.root, {"cfg": [V + ".cfg", A + ".cfg"], "dq": [A + ".cfg"],
                             "ro": [A + ".cfg"]}, [])
    yield server
    slips.stop(server)


@pytest.fixture
def denials(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


def get(pki, server, path, device="attacker"):
    reply = clients.get(pki, server.ports["tls"], path, device)
    return reply.status, reply.body if reply.status else reply.error.encode()


VICTIM_CFG = secret(f"cfg/{V}.cfg")
OWN_CFG = secret(f"cfg/{A}.cfg")


@pytest.mark.parametrize("path", [
    f"/pm/{V}/{A}",                  # ProxyPassMatch
    f"/pm/{V}-{A}",
    f"/pr/{V}/{A}",                  # server-level RewriteRule [P]
    f"/pq/{A}.cfg?mac={V}",          # ... the query string picks the file
    f"/dq/{A}.cfg?mac={V}",          # per-directory RewriteRule [P]
])
def test_proxy_mapping_to_another_phones_file_is_refused(pki, proxy_httpd, denials,
                                                         path):
    status, body = get(pki, proxy_httpd, path)
    assert VICTIM_CFG not in body, f"{path}: {status}, served the victim's file"
    assert status == 403, f"{path}: expected 403, got {status}"


def test_control_file_path_twin_is_refused(pki, proxy_httpd, denials):
    status, body = get(pki, proxy_httpd, f"/fq/{A}.cfg?mac={V}")
    assert status == 403 and VICTIM_CFG not in body, status


@pytest.mark.parametrize("path", [f"/pm/{A}", f"/pr/{A}/{A}", f"/pq/{A}.cfg?mac={A}",
                                  f"/dq/{A}.cfg?mac={A}", f"/fq/{A}.cfg?mac={A}"])
def test_control_own_file_through_the_same_mapping(pki, proxy_httpd, path):
    assert get(pki, proxy_httpd, path) == (200, OWN_CFG), path


def test_control_victim_gets_its_file_through_the_mapping(pki, proxy_httpd):
    assert get(pki, proxy_httpd, f"/pm/{V}", "valid") == (200, VICTIM_CFG)


def test_report_only_reports_the_changed_target_and_serves(pki, proxy_httpd, expect_log):
    """ProvAuthReportOnly: the target a section's [P] rule chose after
    authorization is decided again and reported (PA00120), not enforced."""
    expect_log.append(r"PA00120")
    mark = len(proxy_httpd.read_log())
    status, body = get(pki, proxy_httpd, f"/ro/{A}.cfg?mac={V}")
    assert (status, body) == (200, VICTIM_CFG)
    reported = [line for line in proxy_httpd.read_log()[mark:].splitlines()
                if "PA00120" in line]
    assert len(reported) == 1 and "named after another device" in reported[0], reported
