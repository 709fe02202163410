"""PA00047: at startup, one warning per directive in the configuration
files that sets or unsets a PROVAUTH_* variable (in any case), or a
variable whose name the request chooses (a RewriteRule's [E=%1:...]),
or makes mod_authnz_ldap write its attributes under PROVAUTH_;
none for directives that only read one or mention the word in a value."""
import os

import pytest

import slips

FLAGGED = [
    'SetEnv PROVAUTH_MAC 0004f2000001',
    'UnsetEnv CFG_HOME provauth_mac',
    'SetEnvIf User-Agent "^Poly" PROVAUTH_STATUS=VALID',
    'BrowserMatch "^Yealink" !PROVAUTH_ERROR',
    'SetEnvIfExpr "-n %{{HTTP:X-Forge}}" provauth_days_left=9999',
    'RewriteRule ^f\\.txt$ - [E=%1:%2]',
    'RewriteRule ^g\\.txt$ - [NC,env=PROVAUTH_MAC:x,L]',
    'AuthLDAPAuthorizePrefix Provauth_',
]
NOT_FLAGGED = [
    'SetEnv CFG_ROOT /srv/provauth_files',
    'SetEnvIf Request_URI "provauth_" SEEN_PROVAUTH=1',
    'RewriteRule ^phone\\.cfg$ %{{ENV:PROVAUTH_MAC}}.cfg',
    'RewriteRule ^h\\.txt$ - [E=CFG_FOR:%{{ENV:PROVAUTH_MAC}}]',
    'AuthLDAPAuthorizePrefix LDAP_PROVAUTH_',
]


@pytest.fixture(scope="module")
def writers_httpd(workdir, pki):
    lines = ["RewriteEngine On"] + FLAGGED + NOT_FLAGGED + ["Require provauth-device"]
    server = slips.start(workdir, "writers",
                         slips.vhost(pki, "p", "optional_no_ca", "    ProvAuthAcceptExpired On",
                                     slips.directory("d", *lines)),
                         ["p"], files=["d/f.txt"],
                         modules=slips.BASE_MODULES + ["rewrite", "setenvif", "ldap", "authnz_ldap"],
                         allowed=[r"PA00047", r"PA00005"])
    yield server
    slips.stop(server)


def test_each_writer_is_named_once_and_nothing_else(writers_httpd):
    with open(os.path.join(writers_httpd.root, "httpd.conf")) as conf:
        config = conf.read().splitlines()

    def line_of(directive):
        text = directive.replace("{{", "{").replace("}}", "}")
        return [n for n, line in enumerate(config, 1) if line.strip() == text]

    expected = sorted(n for d in FLAGGED for n in line_of(d))
    assert len(expected) == len(FLAGGED), expected
    warned = sorted(int(line.split("(line ")[1].split(" ")[0])
                    for line in writers_httpd.read_log().splitlines() if "PA00047" in line)
    assert warned == expected, (warned, expected)
