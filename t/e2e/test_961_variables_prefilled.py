"""The PROVAUTH_* variables when other modules filled the request's
environment before authorization (mod_setenvif runs before it, mod_rewrite
and SetEnv too): the module's own values replace whatever stood there, a
forged PROVAUTH_MAC or PROVAUTH_STATUS never survives, and the other
variables stay.  The usual case, an empty environment, takes the
connection's ready-made copy instead; both must give the same answers, on
the first request of a connection and on keep-alive requests after it."""
import pytest

import slips
from clients import get

VICTIM = "0004f2000001"      # the valid phone's MAC
ATTACKER = "0004f20000aa"    # another genuine phone

# A header a client controls, copied into the variables before
# authorization: the worst an administrator's SetEnvIf can do.
FORGE = ('SetEnvIf X-Forge "^(.+)$" PROVAUTH_MAC=$1 PROVAUTH_STATUS=VALID '
         'PROVAUTH_DAYS_LEFT=9999 PROVAUTH_ERROR=forged')
DIRS = (slips.directory("filled", "SetEnvIf Request_URI . EARLY=kept", FORGE,
                        'Header always set X-Early "%{{EARLY}}e"',
                        "Require provauth-mac")
        + slips.directory("plain", 'Header always set X-Early "%{{EARLY}}e"',
                          "Require provauth-mac"))
# A virtual host that forgives nothing, where mod_authz_core may never ask
# the provider: a <RequireAny> whose other line grants first, a
# <RequireAll> whose other line refuses first.  The section's Require
# provauth-* line alone makes it the module's.
SKIPPED = (slips.directory("anyip", FORGE, "<RequireAny>", "Require ip 127.0.0.1",
                           "Require provauth-mac", "</RequireAny>")
           + slips.directory("allnot", FORGE, "<RequireAll>", "Require not ip 127.0.0.1",
                             "Require provauth-mac", "</RequireAll>"))
FILES = [f"anyip/{ATTACKER}.cfg", f"allnot/{ATTACKER}.cfg",
         f"filled/{VICTIM}.cfg", f"plain/{VICTIM}.cfg", "filled/0004f2000002.cfg",
         "plain/0004f2000002.cfg",
         f"filled/{ATTACKER}.cfg", f"plain/{ATTACKER}.cfg"]


@pytest.fixture(scope="module")
def env_httpd(workdir, pki):
    extra = "\n".join(["    ProvAuthAcceptExpired On",
                       f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"])
    body = (slips.vhost(pki, "mac", "optional_no_ca", extra, DIRS)
            + slips.vhost(pki, "strict", "optional_no_ca", "", SKIPPED))
    server = slips.start(workdir, "prefilled", body, ["mac", "strict"], files=FILES,
                         modules=slips.BASE_MODULES + ["setenvif", "authz_host"],
                         allowed=[r"PA00005: the virtual host localhost \(.*\) has no",
                                  r"PA00047: SetEnvIf \(line \d+ of .*\) writes a PROVAUTH_"])
    yield server
    slips.stop(server)


@pytest.fixture
def refusals(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


def variables(reply):
    return {name: reply.headers.get(f"x-provauth-{name}")
            for name in ("status", "mac", "days-left", "error")}


def forged_get(pki, server, paths, device, port_key="mac"):
    """GETs on one connection, each with the forging header."""
    from clients import tls_context
    import http.client
    import socket
    ctx = tls_context(pki, device, True, False)
    port = server.ports[port_key]
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.sock = ctx.wrap_socket(raw, server_hostname="localhost")
    replies = []
    try:
        for path in paths:
            conn.request("GET", path, headers={"Host": "localhost", "X-Forge": VICTIM})
            resp = conn.getresponse()
            resp.read()
            replies.append((resp.status, {k.lower(): v for k, v in resp.getheaders()}))
    finally:
        conn.close()
    return replies


def test_startup_warns_of_each_directive_writing_our_variables(env_httpd):
    """PA00047, once per such directive (three SetEnvIf lines here) and per
    start, naming the directive and its line."""
    lines = [line for line in env_httpd.read_log().splitlines() if "PA00047" in line]
    assert len(lines) == 3, lines
    assert all("SetEnvIf (line " in line and "httpd.conf)" in line for line in lines), lines
    assert all("[provauth:warn]" in line for line in lines), lines


class TestSameVariablesEitherWay:
    def test_prefilled_and_empty_environments_agree(self, pki, env_httpd):
        """Keep-alive: the second and third requests reuse the connection's
        verdict; every request reads the same variables in both sections."""
        paths = [f"/plain/{VICTIM}.cfg", f"/filled/{VICTIM}.cfg"] * 2
        replies = get(pki, env_httpd.ports["mac"], paths, "valid")
        assert [r.status for r in replies] == [200] * 4, [str(r) for r in replies]
        seen = [variables(r) for r in replies]
        assert all(v == seen[0] for v in seen), seen
        assert seen[0]["status"] == "VALID" and seen[0]["mac"] == VICTIM, seen[0]
        assert seen[0]["days-left"].isdigit(), seen[0]
        assert seen[0]["error"] == "(null)", seen[0]
        # the other modules' variables are kept
        assert replies[1].headers["x-early"] == "kept", str(replies[1])
        assert replies[0].headers["x-early"] == "(null)", str(replies[0])
        # without mod_cache loaded nothing is kept out of it: no Expires
        # header (r->no_cache would add one to every answer)
        assert "expires" not in replies[0].headers, str(replies[0])

    def test_expired_device_reads_its_own_values(self, pki, env_httpd):
        replies = get(pki, env_httpd.ports["mac"],
                      ["/plain/0004f2000002.cfg", "/filled/0004f2000002.cfg"], "expired")
        seen = [variables(r) for r in replies]
        assert seen[0] == seen[1], seen
        assert seen[0]["status"] == "EXPIRED" and seen[0]["mac"] == "0004f2000002", seen
        assert seen[0]["days-left"].startswith("-"), seen


class TestForgedValuesNeverSurvive:
    def test_a_genuine_phone_cannot_borrow_another_mac(self, pki, env_httpd, refusals):
        (own, victims) = forged_get(pki, env_httpd,
                                    [f"/filled/{ATTACKER}.cfg", f"/filled/{VICTIM}.cfg"],
                                    "attacker")
        assert own[0] == 200 and own[1]["x-provauth-mac"] == ATTACKER, own
        assert own[1]["x-provauth-error"] == "(null)", own
        assert own[1]["x-provauth-days-left"] != "9999", own
        assert victims[0] == 403, victims
        assert victims[1]["x-provauth-mac"] == ATTACKER, victims

    @pytest.mark.parametrize("device", ["selfsigned-victim", "wrongvendor"])
    def test_an_untrusted_certificate_gets_no_mac_and_its_own_status(
            self, pki, env_httpd, refusals, device):
        (reply,) = forged_get(pki, env_httpd, [f"/filled/{VICTIM}.cfg"], device)
        status, headers = reply
        assert status == 403, reply
        assert headers["x-provauth-mac"] == "(null)", reply
        assert headers["x-provauth-status"] == "FAILED", reply
        assert headers["x-provauth-error"] not in ("forged", "(null)"), reply
        assert headers["x-provauth-days-left"] != "9999", reply


class TestWhereTheProviderIsNotAsked:
    def test_a_grant_by_another_line_still_replaces_forged_values(self, pki, env_httpd):
        (reply,) = forged_get(pki, env_httpd, [f"/anyip/{ATTACKER}.cfg"], "attacker",
                              port_key="strict")
        status, headers = reply
        assert status == 200, reply
        assert headers["x-provauth-mac"] == ATTACKER, reply
        assert headers["x-provauth-status"] == "VALID", reply
        assert headers["x-provauth-error"] == "(null)", reply

    def test_a_refusal_by_another_line_still_replaces_forged_values(
            self, pki, env_httpd, expect_log):
        expect_log.extend(slips.REFUSAL_NOISE)
        (reply,) = forged_get(pki, env_httpd, [f"/allnot/{ATTACKER}.cfg"], "attacker",
                              port_key="strict")
        status, headers = reply
        assert status == 403, reply
        assert headers["x-provauth-mac"] == ATTACKER, reply
        assert headers["x-provauth-days-left"] != "9999", reply
