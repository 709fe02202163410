"""`Require provauth-mac` in front of a reverse proxy: the back end serves the
same files, strips path parameters as servlet containers do, and takes
PATH_INFO (AcceptPathInfo On).  A ';' parameter carrying the attacker's MAC
must not open the victim's file.  PATH_INFO on the back end is a documented
limitation (docs/mac-authorization.md, "Reverse proxies"): the module
cannot know where a back end ends the file name."""
import pytest

from attack_server import ATTACKER, DENIALS, VICTIM, request, secret

V, A = VICTIM, ATTACKER


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS)


@pytest.mark.parametrize("path", [f"/px/{V}.cfg;{A}", f"/px/{V}.cfg;x={A}",
                                  f"/px/{V}.cfg%3B{A}", f"/px/{V}.cfg;{A}.cfg"])
def test_path_parameter_with_the_own_mac_does_not_open_another_phones_file(
        pki, attack_httpd, denials, path):
    status, _, body = request(pki, attack_httpd, "GET", path, "attacker")
    assert status == 403, f"{path}: expected 403, got {status} {body[:60]!r}"
    assert secret(f"cfg/{V}.cfg") not in body


@pytest.mark.parametrize("path", [f"/px/{A}.cfg", f"/px/{A}.cfg;{V}",
                                  f"/px/{A}.cfg;jsessionid=0123456789abcdef"])
def test_control_own_file_through_the_proxy(pki, attack_httpd, path):
    status, _, body = request(pki, attack_httpd, "GET", path, "attacker")
    assert (status, body) == (200, secret(f"cfg/{A}.cfg")), f"{path}: {status}"


def test_control_the_back_end_does_strip_parameters(pki, attack_httpd):
    # Without this the refusals above would prove nothing.
    status, _, body = request(pki, attack_httpd, "GET", f"/px/{V}.cfg;{V}", "valid")
    assert (status, body) == (200, secret(f"cfg/{V}.cfg"))


@pytest.mark.xfail(strict=True, reason="documented limitation: a back end that takes "
                   "PATH_INFO serves /cfg/<victim>.cfg for /cfg/<victim>.cfg/<own MAC>")
@pytest.mark.parametrize("port, path", [("atk", f"/px/{V}.cfg/{A}"),
                                        ("atkdecode", f"/px/{V}.cfg%2F{A}")])
def test_path_info_on_the_back_end(pki, attack_httpd, denials, port, path):
    status, _, body = request(pki, attack_httpd, "GET", path, "attacker", port=port)
    assert secret(f"cfg/{V}.cfg") not in body, f"{path}: {status}"
