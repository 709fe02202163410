"""mod_authz_core's <AuthzProviderAlias> around a provauth provider.

httpd merges an alias's directives into the request's configuration only
while the aliased provider runs; mod_provauth decides a request once, with
its section's settings (the variables are set before authorization).  A
ProvAuth* directive inside an alias would silently not apply (a Polycom-only
alias would admit a Yealink phone: the review's finding), so it stops
`apache2 -t` with the directive, file, line and the fix.  An alias that only
names a provider and its argument works, with the trust of the section that
uses it."""
import os

import pytest

import clients
import slips
from conftest import module_path
from httpd import Httpd

DIRECTIVES = [
    "ProvAuthCACertificateFile {poly_root}",
    "ProvAuthIntermediateFile {poly_inter}",
    "ProvAuthCRLFile {poly_crl}",
    "ProvAuthMACFrom CN",
    "ProvAuthReportOnly On",
    "ProvAuthCRLCheck leaf",
]


@pytest.mark.parametrize("line", DIRECTIVES)
def test_a_directive_of_ours_inside_an_alias_fails_configtest(workdir, pki, line):
    line = line.format(poly_root=pki.path("poly-root.pem"),
                       poly_inter=pki.path("poly-intermediates.pem"),
                       poly_crl=pki.path("poly-crl.pem"))
    directive = line.split()[0]
    body = f"""
<AuthzProviderAlias provauth-device polycom-phone>
    {line}
</AuthzProviderAlias>
<Directory /srv/prov/polycom>
    Require polycom-phone
</Directory>
"""
    server = Httpd(os.path.join(workdir, "config", "alias-" + directive), body,
                   module=module_path())
    result = server.configtest()
    out = result.stdout + result.stderr
    assert result.returncode != 0, f"{directive} inside the alias passed -t:\n{out}"
    assert f"{directive} (line " in out and server.conf in out, out
    assert "inside <AuthzProviderAlias> would not apply" in out, out
    assert "put " + directive + " in the section that holds the Require line" in out, out


def dirs(pki):
    return """
    <AuthzProviderAlias provauth-device any-phone>
    </AuthzProviderAlias>""", (
        slips.directory("alias", f"ProvAuthCACertificateFile {pki.path('poly-root.pem')}",
                        "Require any-phone")
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
    reply = clients.get(pki, server.ports["tls"], path, device)
    return reply.status, reply.body if reply.status else reply.error.encode()


@pytest.mark.parametrize("path", ["/alias/f.cfg", "/plain/f.cfg"])
def test_the_sections_pinning_refuses_another_vendors_phone(pki, alias_httpd, denials,
                                                            path):
    status, body = get(pki, alias_httpd, path, "yealink")
    assert status == 403, f"{path}: Yealink phone got {status} {body!r}"


@pytest.mark.parametrize("path", ["/alias/f.cfg", "/plain/f.cfg"])
def test_polycom_phone_is_granted(pki, alias_httpd, path):
    assert get(pki, alias_httpd, path, "valid") == (200, f"{path[1:]}\n".encode())
