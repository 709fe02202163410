"""Every HTTP method, in every spelling, on another phone's file under the
documented upload setup (`Dav On`, `Require provauth-mac`): none reads,
writes, locks, moves or deletes it.  The controls run the same methods on
the phone's own names and must succeed, so a test that sees only refusals
is not merely blind."""
import pytest

from attack_server import (ATTACKER, DENIALS, DEVICES, VICTIM, destination, on_disk,
                           request)

LOCK_BODY = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">'
             b'<D:lockscope><D:exclusive/></D:lockscope>'
             b'<D:locktype><D:write/></D:locktype></D:lockinfo>')
PROPPATCH_BODY = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" '
                  b'xmlns:Z="urn:x"><D:set><D:prop><Z:owner>evil</Z:owner>'
                  b'</D:prop></D:set></D:propertyupdate>')
XML = {"Content-Type": "text/xml"}


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS)


@pytest.fixture
def victim_file(pki, attack_httpd):
    path = f"/dav/{VICTIM}-phone.cfg"
    status, _, _ = request(pki, attack_httpd, "PUT", path, "valid",
                           body=b"voIpProt.server.1.address=sip.example.net\n")
    assert status in (201, 204), f"the victim's own PUT: {status}"
    return path


def own_file(pki, server, mac, suffix="-phone.cfg"):
    path = f"/dav/{mac}{suffix}"
    status, _, _ = request(pki, server, "PUT", path, DEVICES[mac], body=b"own\n")
    assert status in (201, 204), f"PUT {path}: {status}"
    return path


# (method, body, headers) for every method httpd or mod_dav knows.
METHODS = [
    ("GET", None, {}),
    ("HEAD", None, {}),
    ("POST", b"x=1", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("PUT", b"evil\n", {}),
    ("DELETE", None, {}),
    ("OPTIONS", None, {}),
    ("PROPFIND", None, {"Depth": "0"}),
    ("PROPPATCH", PROPPATCH_BODY, XML),
    ("MKCOL", None, {}),
    ("COPY", None, {"Destination": "{own}", "Overwrite": "T"}),
    ("MOVE", None, {"Destination": "{own}", "Overwrite": "T"}),
    ("LOCK", LOCK_BODY, dict(XML, Timeout="Second-60")),
    ("UNLOCK", None, {"Lock-Token": "<opaquelocktoken:0>"}),
]

# Spellings httpd does not know as methods (M_INVALID), and extension methods.
ODD_METHODS = ["get", "Get", "gET", "put", "Put", "delete", "copy", "Move", "propfind",
               "lock", "PATCH", "SEARCH", "BIND", "REBIND", "MERGE", "CHECKOUT",
               "VERSION-CONTROL", "X-ANYTHING"]


def headers_for(headers, server, own):
    return {name: value.replace("{own}", destination(server, own))
            for name, value in headers.items()}


class TestEveryMethodOnAnotherPhonesFile:
    @pytest.mark.parametrize("method, body, headers", METHODS, ids=[m[0] for m in METHODS])
    def test_is_refused_and_leaves_the_file_alone(self, pki, attack_httpd, denials,
                                                  victim_file, method, body, headers):
        own = own_file(pki, attack_httpd, ATTACKER, "-copy.cfg")
        before = on_disk(attack_httpd, victim_file)
        target = victim_file if method != "MKCOL" else f"/dav/{VICTIM}-dir"
        status, _, data = request(pki, attack_httpd, method, target, "attacker", body=body,
                                  headers=headers_for(headers, attack_httpd, own))
        assert status == 403, f"{method} {target}: expected 403, got {status}"
        assert before not in data
        assert on_disk(attack_httpd, victim_file) == before, "the victim's file changed"
        assert on_disk(attack_httpd, own) == b"own\n", "the attacker's file changed"
        assert on_disk(attack_httpd, f"/dav/{VICTIM}-dir") is None

    @pytest.mark.parametrize("method", ODD_METHODS)
    def test_unusual_spelling_is_refused(self, pki, attack_httpd, denials, victim_file,
                                         method):
        before = on_disk(attack_httpd, victim_file)
        status, _, data = request(pki, attack_httpd, method, victim_file, "attacker",
                                  body=b"evil\n")
        assert status == 403, f"{method}: expected 403, got {status}"
        assert before not in data
        assert on_disk(attack_httpd, victim_file) == before

    @pytest.mark.parametrize("depth", ["0", "1", "infinity"])
    def test_propfind_of_the_collection_is_refused(self, pki, attack_httpd, denials,
                                                   victim_file, depth):
        status, _, data = request(pki, attack_httpd, "PROPFIND", "/dav/", "attacker",
                                  headers={"Depth": depth})
        assert status == 403, f"PROPFIND /dav/ Depth {depth}: expected 403, got {status}"
        assert VICTIM.encode() not in data


class TestEveryMethodOnTheOwnName:
    """Controls: the same requests on the phone's own names succeed."""

    @pytest.mark.parametrize("method, body, headers, expected", [
        ("GET", None, {}, 200),
        ("HEAD", None, {}, 200),
        ("PUT", b"new\n", {}, 204),
        ("OPTIONS", None, {}, 200),
        ("PROPFIND", None, {"Depth": "0"}, 207),
        ("PROPPATCH", PROPPATCH_BODY, XML, 207),
        ("COPY", None, {"Destination": "{own}", "Overwrite": "T"}, 204),
        ("LOCK", LOCK_BODY, dict(XML, Timeout="Second-60"), 200),
        ("MOVE", None, {"Destination": "{own}", "Overwrite": "T"}, 204),
        ("DELETE", None, {}, 204),
    ], ids=lambda v: v if isinstance(v, str) and v.isupper() else "")
    def test_succeeds(self, pki, attack_httpd, method, body, headers, expected):
        path = own_file(pki, attack_httpd, ATTACKER, f"-{method.lower()}.cfg")
        copy = own_file(pki, attack_httpd, ATTACKER, f"-{method.lower()}-2.cfg")
        status, _, _ = request(pki, attack_httpd, method, path, "attacker", body=body,
                               headers=headers_for(headers, attack_httpd, copy))
        assert status == expected, f"{method} {path}: expected {expected}, got {status}"

    def test_mkcol_of_the_own_name(self, pki, attack_httpd):
        path = f"/dav/{ATTACKER}-collection"
        request(pki, attack_httpd, "DELETE", path, "attacker")
        status, _, _ = request(pki, attack_httpd, "MKCOL", path, "attacker")
        assert status == 201, f"MKCOL {path}: expected 201, got {status}"

    def test_lowercase_method_on_the_own_file_is_not_served_either(
            self, pki, attack_httpd, expect_log):
        # httpd knows no method "get": authorization grants, the default
        # handler refuses (501, AH00135); the spelling changes nothing above.
        expect_log.append(r"AH00135: Invalid method in request get ")
        path = own_file(pki, attack_httpd, ATTACKER)
        status, _, _ = request(pki, attack_httpd, "get", path, "attacker")
        assert status in (405, 501), f"expected 405/501, got {status}"
