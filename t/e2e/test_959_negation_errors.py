"""`Require not`, `<RequireNone>` and `<RequireAny>` when the provider runs
into an internal error that a client can reach: a server-level rewrite
leaves PATH_INFO that is not the end of the URL, so the path served cannot
be determined.  The answer must be 500 (PA00102), never the grant a
negated denial would give; the controls show the same directories grant
on a negated denial and refuse on a negated grant, so a denial in place of
the error would have been seen."""
import base64

import pytest

from attack_server import ATTACKER, DENIALS, VICTIM, request, secret
from conftest import PHONE_PASSWORD, PHONE_USER

AUTH = {"Authorization": "Basic " + base64.b64encode(
    f"{PHONE_USER}:{PHONE_PASSWORD}".encode()).decode()}


@pytest.fixture
def errors(expect_log):
    expect_log.append(r"PA00102: internal error in Require provauth-mac: the path "
                      r"served could not be determined")


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS)


@pytest.mark.parametrize("directory", ["neg", "negnone"])
@pytest.mark.parametrize("device", ["attacker", "valid"])
def test_negated_provider_with_an_internal_error_answers_500(
        pki, attack_httpd, errors, directory, device):
    status, _, body = request(pki, attack_httpd, "GET", f"/{directory}pi/x", device)
    assert status == 500, f"/{directory}pi/x: expected 500, got {status}"
    assert b"secret" not in body


@pytest.mark.parametrize("headers", [{}, AUTH], ids=["no-password", "password"])
def test_require_any_with_an_internal_error_answers_500(pki, attack_httpd, errors,
                                                         headers):
    # The password would grant; the error comes first and ends the evaluation.
    status, _, body = request(pki, attack_httpd, "GET", "/neganypi/x", "attacker",
                              headers=headers)
    assert status == 500, f"expected 500, got {status}"
    assert b"secret" not in body


def test_error_is_logged_once_with_why(pki, attack_httpd, errors):
    attack_httpd.new_log_lines()
    request(pki, attack_httpd, "GET", "/negpi/x", "attacker")
    attack_httpd.settle()
    lines = [line for line in attack_httpd.new_log_lines() if "PA00102" in line]
    assert len(lines) == 1, lines
    assert "a negation cannot turn this into a grant" in lines[0], lines[0]


class TestControls:
    @pytest.mark.parametrize("directory", ["neg", "negnone"])
    def test_negated_denial_grants(self, pki, attack_httpd, directory):
        status, _, body = request(pki, attack_httpd, "GET", f"/{directory}/{VICTIM}.cfg",
                                  "attacker")
        assert (status, body) == (200, secret(f"{directory}/{VICTIM}.cfg"))

    @pytest.mark.parametrize("directory", ["neg", "negnone"])
    def test_negated_grant_refuses(self, pki, attack_httpd, denials, directory):
        status, _, _ = request(pki, attack_httpd, "GET", f"/{directory}/{ATTACKER}.cfg",
                               "attacker")
        assert status == 403, status

    def test_require_any_grants_by_password(self, pki, attack_httpd):
        status, _, body = request(pki, attack_httpd, "GET", f"/negany/{VICTIM}.cfg",
                                  "attacker", headers=AUTH)
        assert (status, body) == (200, secret(f"negany/{VICTIM}.cfg"))

    def test_require_any_grants_by_certificate(self, pki, attack_httpd):
        status, _, _ = request(pki, attack_httpd, "GET", f"/negany/{ATTACKER}.cfg",
                               "attacker")
        assert status == 200, status
