"""Review finding: mod_authz_core's <AuthzProviderAlias> around a provauth
provider.  httpd reads the alias's section at server level (the Require
line is parsed with the main server's context) and merges the section's
directives into the request's configuration only while the aliased provider
runs.  mod_provauth decides the request's verdict earlier, in its
access checker (the variables), with the directory's configuration, and the
provider reuses that cached verdict: a ProvAuthCACertificateFile in the
alias (vendor pinning by a named requirement) is not applied, and a phone of
another vendor is granted.  Not in docs/security.md; no test uses the alias.

Control: the same pinning in the <Directory> itself refuses the Yealink
phone, and the Polycom phone is granted both ways."""
import http.client
import ssl

import pytest

import slips
from clients import tls_context


def dirs(pki):
    return f"""
    <AuthzProviderAlias provauth-device polycom-phone>
        ProvAuthCACertificateFile {pki.path('poly-root.pem')}
    </AuthzProviderAlias>""", (
        slips.directory("alias", "Require polycom-phone")
        + slips.directory("plain", f"ProvAuthCACertificateFile {pki.path('poly-root.pem')}",
                          "Require provauth-device"))


@pytest.fixture(scope="module")
def alias_httpd(workdir, pki):
    server_level, directories = dirs(pki)
    body = server_level + slips.vhost(pki, "tls", "optional_no_ca",
                                      "    ProvAuthAcceptExpired On", directories)
    server = slips.start(workdir, "alias", body, ["tls"],
                         files=["alias/f.cfg", "plain/f.cfg"], allowed=[r"PA00005"])
    yield server
    slips.stop(server)


@pytest.fixture
def denials(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


def get(pki, server, path, device):
    conn = http.client.HTTPSConnection("127.0.0.1", server.ports["tls"],
                                       context=tls_context(pki, device), timeout=10)
    try:
        conn.request("GET", path, headers={"Host": "localhost"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (ssl.SSLError, OSError, http.client.HTTPException) as err:
        return 0, str(err).encode()
    finally:
        conn.close()


def test_other_vendors_phone_is_refused_by_the_aliased_pinning(pki, alias_httpd, denials):
    status, body = get(pki, alias_httpd, "/alias/f.cfg", "yealink")
    assert status == 403, f"Yealink phone got {status} {body!r} from the Polycom-only alias"


def test_control_pinning_in_the_directory_refuses(pki, alias_httpd, denials):
    assert get(pki, alias_httpd, "/plain/f.cfg", "yealink")[0] == 403


@pytest.mark.parametrize("path", ["/alias/f.cfg", "/plain/f.cfg"])
def test_control_polycom_phone_is_granted(pki, alias_httpd, path):
    assert get(pki, alias_httpd, path, "valid") == (200, f"{path[1:]}\n".encode())
