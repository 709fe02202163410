"""TLS session resumption in each of its forms, TLS 1.2 session ids (no
tickets), TLS 1.2 tickets and TLS 1.3 PSK: a resumed connection gets the
decisions of a full handshake.  The MAC comes from the resumed session's
certificate, an untrusted certificate that optional_no_ca tolerated is
never resumed (and refused either way), an expired phone resumed under one
SNI cannot borrow its virtual host's ProvAuthAcceptExpired for another."""
import pytest

from attack_server import ATTACKER, DENIALS, EXPIRED, VICTIM
from tls_session import Client

MODES = [("1.2", "session-id"), ("1.2", "ticket"), ("1.3", "psk")]


@pytest.fixture
def denials(expect_log):
    # mod_ssl's lines for what optional_no_ca tolerates, and SNI refusals.
    expect_log.extend(DENIALS + [r"AH02039", r"AH02008", r"PA00110", r"PA00111"])


def client(pki, device, tls, mode):
    made = Client(pki, device, tls)
    if mode == "session-id":
        import ssl
        made.ctx.options |= ssl.OP_NO_TICKET
    return made


def statuses(replies):
    return [r.status for r in (replies if isinstance(replies, list) else [replies])]


@pytest.mark.parametrize("tls, mode", MODES, ids=[m[1] for m in MODES])
class TestResumedSession:
    def test_resumed_phone_gets_only_its_own_file(self, pki, attack_httpd, denials,
                                                  tls, mode):
        phone = client(pki, "attacker", tls, mode)
        port = attack_httpd.ports["atk"]
        first = phone.get(port, [f"/cfg/{ATTACKER}.cfg", f"/cfg/{VICTIM}.cfg"])
        assert statuses(first) == [200, 403], [str(r) for r in first]
        second = phone.get(port, [f"/cfg/{ATTACKER}.cfg", f"/cfg/{VICTIM}.cfg"],
                           resume=True)
        assert second[0].session_reused, f"expected a resumed {mode} session"
        assert statuses(second) == [200, 403], [str(r) for r in second]
        assert second[0].headers["x-provauth-mac"] == ATTACKER, str(second[0])

    @pytest.mark.parametrize("device", ["selfsigned-victim", "selfsigned-expired",
                                        "wrongvendor-expired"])
    def test_tolerated_untrusted_certificate_is_not_resumed(self, pki, attack_httpd,
                                                            denials, tls, mode, device):
        phone = client(pki, device, tls, mode)
        port = attack_httpd.ports["atk"]
        assert phone.get(port, f"/cfg/{VICTIM}.cfg").status == 403
        again = phone.get(port, f"/cfg/{VICTIM}.cfg", resume=True)
        assert not again.session_reused, f"{device}: a tolerated session was resumed"
        assert again.status == 403, str(again)
        assert again.headers["x-ssl-client-verify"] != "SUCCESS", str(again)

    def test_expired_phone_resumed_keeps_its_own_file(self, pki, attack_httpd, tls, mode):
        phone = client(pki, "expired", tls, mode)
        port = attack_httpd.ports["atk"]
        assert phone.get(port, f"/cfg/{EXPIRED}.cfg").status == 200
        again = phone.get(port, f"/cfg/{EXPIRED}.cfg", resume=True)
        assert again.session_reused and again.status == 200, str(again)
        assert again.headers["x-provauth-status"] == "EXPIRED", str(again)

    def test_expired_phone_resumed_under_sni_a_cannot_ask_b(self, pki, attack_httpd,
                                                            denials, tls, mode):
        phone = client(pki, "expired", tls, mode)
        port = attack_httpd.ports["atksni"]
        first = phone.get(port, f"/cfg/{EXPIRED}.cfg", sni="a.test")
        assert first.status == 200, str(first)
        again = phone.get(port, f"/cfg/{EXPIRED}.cfg", sni="a.test", host="b.test",
                          resume=True)
        assert again.session_reused, "expected a resumed session"
        assert again.status == 421, str(again)

    def test_session_of_sni_a_is_not_resumed_under_sni_b(self, pki, attack_httpd, tls,
                                                          mode):
        phone = client(pki, "valid", tls, mode)
        port = attack_httpd.ports["atksni"]
        assert phone.get(port, f"/cfg/{VICTIM}.cfg", sni="a.test").status == 200
        again = phone.get(port, f"/cfg/{VICTIM}.cfg", sni="b.test", resume=True)
        assert not again.session_reused and again.status == 200, str(again)
