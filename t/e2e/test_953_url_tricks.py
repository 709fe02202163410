"""URL spellings that might make the name httpd checks differ from the file it
serves: encoded slashes under each AllowEncodedSlashes setting, double
encoding, encoded dot segments, path parameters, trailing dots and slashes,
case, backslashes, NUL, overlong paths, PATH_INFO.  None may serve the
victim's file to the attacker; the controls show each virtual host serves
the attacker's own file."""
import pytest

from attack_server import ATTACKER, DENIALS, VICTIM, request, secret

V, A = VICTIM, ATTACKER
VHOSTS = ["atk", "atkdecode", "atknodecode"]     # AllowEncodedSlashes Off, On, NoDecode

TRICKS = [
    f"/cfg/{V}.cfg%2F{A}",
    f"/cfg/{V}.cfg%2f{A}.cfg",
    f"/cfg/{A}%2F..%2F{V}.cfg",
    f"/cfg/{A}%2f%2e%2e%2f{V}.cfg",
    f"/cfg/{A}/%2e%2e/{V}.cfg",
    f"/cfg/{A}/.%2e/{V}.cfg",
    f"/cfg/{A}/..%2F{V}.cfg",
    f"/cfg/{A}%252F..%252F{V}.cfg",
    f"/cfg/{V}.cfg%252F{A}",
    f"/cfg/%2530004f2000001.cfg",
    f"/cfg/{V}.cfg;{A}",
    f"/cfg/{V}.cfg%3B{A}",
    f"/cfg/{A};/../{V}.cfg",
    f"/cfg/{V}.cfg.",
    f"/cfg/{V}.cfg./{A}",
    f"/cfg/{V}.cfg/",
    f"/cfg/{V}.cfg/.",
    f"/cfg/{V}.cfg?{A}",
    f"/cfg/{V}.cfg?mac={A}",
    f"/CFG/{V}.cfg",
    f"/cfg/{V.upper()}.cfg",
    f"/cfg/{A}\\..\\{V}.cfg",
    f"/cfg/{A}%5C..%5C{V}.cfg",
    f"/cfg/{V}.cfg%00{A}",
    f"/cfg/{V}.cfg%00",
    f"/cfg/{V}%EF%BC%8Ecfg/{A}",                   # fullwidth full stop
    f"//cfg//{V}.cfg",
    f"/./cfg/./{V}.cfg",
    f"/cfg/" + "x/../" * 1500 + f"{V}.cfg",          # overlong, but under the line limit
    f"/cfg/{V}.cfg/" + "y" * 7000 + A,
    f"/pi/{V}.cfg/{A}",
    f"/pi/{V}.cfg/{A}.cfg",
    f"/pi/{V}.cfg%2F{A}",
    f"/pi/{V}.cfg;{A}",
    f"/pi/{V}.cfg/x;{A}",
    f"/pi/{V}.cfg//{A}",
]


@pytest.fixture
def denials(expect_log):
    # httpd's own refusals of odd URLs: encoded slash (AH00026), NUL or a
    # bad escape, a file name over the system limit.
    expect_log.extend(DENIALS + [r"AH00026", r"AH10244", r"AH00127", r"AH00565", r"AH00566"])


@pytest.mark.parametrize("index", range(len(TRICKS)))
def test_spelling_never_serves_the_victims_file(pki, attack_httpd, denials, index):
    path = TRICKS[index]
    for vhost in VHOSTS:
        status, _, body = request(pki, attack_httpd, "GET", path, "attacker", port=vhost)
        assert b"secret of" not in body, f"{vhost} {path[:120]}: {status} {body[:80]!r}"
        assert status not in range(200, 300), f"{vhost} {path[:120]}: {status}"


@pytest.mark.parametrize("path, served", [
    (f"/cfg/{A}.cfg", f"cfg/{A}.cfg"),
    (f"/cfg/%30004f20000aa.cfg", f"cfg/{A}.cfg"),
    (f"/cfg/{V}/../{A}.cfg", f"cfg/{A}.cfg"),
    (f"/cfg/{A}.cfg?mac={V}", f"cfg/{A}.cfg"),
    (f"//cfg//{A}.cfg", f"cfg/{A}.cfg"),
    (f"/pi/{A}.cfg/{V}", f"pi/{A}.cfg"),
    (f"/pi/{A}.cfg;{V}", None),
])
def test_control_own_file(pki, attack_httpd, expect_log, path, served):
    expect_log.append(r"AH00128")        # File does not exist (the ';' name)
    for vhost in VHOSTS:
        status, _, body = request(pki, attack_httpd, "GET", path, "attacker", port=vhost)
        if served is None:
            assert status == 404, f"{vhost} {path}: {status}"    # granted, no such file
        else:
            assert (status, body) == (200, secret(served)), f"{vhost} {path}: {status}"
