"""WebDAV writes through a second URI: COPY and MOVE name their target in
the Destination header, which mod_dav checks with a sub-request in the same
directory.  The target must be authorized against the MAC rules of the
directory it lands in, for a valid and an expired device alike; the
victim's bytes on disk must not change."""
import os

import pytest

from subreq_client import LogWatch, dav, destination
from subreq_server import ATTACKER, EXPIRED, VICTIM

DEVICES = {ATTACKER: "attacker", EXPIRED: "expired", VICTIM: "valid"}


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630"])


def on_disk(server, path):
    """The bytes of a served path on disk, or None."""
    name = os.path.join(server.root, "htdocs", path.lstrip("/"))
    try:
        with open(name, "rb") as data:
            return data.read()
    except FileNotFoundError:
        return None


def put(pki, server, path, mac, body):
    status, _, _ = dav(pki, server, "PUT", path, DEVICES[mac], body=body)
    assert status in (201, 204), f"PUT {path} as {mac}: expected 201/204, got {status}"


@pytest.fixture
def victim_file(pki, subreq_httpd):
    """The victim phone's own settings override, uploaded by the victim."""
    path = f"/logs/{VICTIM}-phone.cfg"
    put(pki, subreq_httpd, path, VICTIM, b"voIpProt.server.1.address=sip.example.net\n")
    return path


ATTACKERS = [pytest.param(ATTACKER, id="valid-attacker"),
             pytest.param(EXPIRED, id="expired-attacker")]


class TestCopyMoveToAnotherPhonesFile:
    @pytest.mark.parametrize("method", ["COPY", "MOVE"])
    @pytest.mark.parametrize("mac", ATTACKERS)
    def test_overwriting_the_victims_file_is_refused(
            self, pki, subreq_httpd, denials, victim_file, method, mac):
        own = f"/logs/{mac}-phone.cfg"
        put(pki, subreq_httpd, own, mac, b"voIpProt.server.1.address=evil.example\n")
        before = on_disk(subreq_httpd, victim_file)
        watch = LogWatch(subreq_httpd)
        status, _, _ = dav(pki, subreq_httpd, method, own, DEVICES[mac],
                           headers={"Destination": destination(subreq_httpd, victim_file),
                                    "Overwrite": "T"})
        assert status == 403, f"{method} onto {victim_file}: expected 403, got {status}"
        assert on_disk(subreq_httpd, victim_file) == before, "the victim's file changed"
        assert on_disk(subreq_httpd, own) is not None, "the refused MOVE lost the source"
        lines = watch.wait_for(r"PA00101: denied by Require provauth-mac: MAC "
                               + mac + r" is not in the requested file name;.*uri \""
                               + victim_file + '"')
        assert len(lines) == 1, "expected one PA00101 line naming the destination:\n" \
            + "\n".join(watch.lines())

    @pytest.mark.parametrize("method", ["COPY", "MOVE"])
    def test_creating_a_file_under_the_victims_name_is_refused(
            self, pki, subreq_httpd, denials, method):
        own = f"/logs/{ATTACKER}-new.cfg"
        target = f"/logs/{VICTIM}-new.cfg"
        put(pki, subreq_httpd, own, ATTACKER, b"evil\n")
        status, _, _ = dav(pki, subreq_httpd, method, own, "attacker",
                           headers={"Destination": destination(subreq_httpd, target)})
        assert status == 403, f"{method} to {target}: expected 403, got {status}"
        assert on_disk(subreq_httpd, target) is None, "a file of the victim's name appeared"

    @pytest.mark.parametrize("target", [
        f"/logs/%30004f2000001-phone.cfg",
        f"/logs/./{VICTIM}-phone.cfg",
        f"/logs/{ATTACKER}-x/../{VICTIM}-phone.cfg",
        f"/logs/{VICTIM.upper()}-phone.cfg",
        f"/LOGS/../logs/{VICTIM}-phone.cfg",
    ])
    def test_spellings_of_the_victims_name_are_refused(
            self, pki, subreq_httpd, denials, victim_file, target):
        own = f"/logs/{ATTACKER}-phone.cfg"
        put(pki, subreq_httpd, own, ATTACKER, b"evil\n")
        before = on_disk(subreq_httpd, victim_file)
        status, _, _ = dav(pki, subreq_httpd, "COPY", own, "attacker",
                           headers={"Destination": destination(subreq_httpd, target)})
        assert status == 403, f"COPY to {target}: expected 403, got {status}"
        assert on_disk(subreq_httpd, victim_file) == before, "the victim's file changed"

    def test_destination_in_another_directory_is_judged_by_that_directorys_rules(
            self, pki, subreq_httpd, denials, victim_file):
        # /davopen lets any trusted device write; the destination does not.
        own = f"/davopen/{ATTACKER}.cfg"
        put(pki, subreq_httpd, own, ATTACKER, b"evil\n")
        before = on_disk(subreq_httpd, victim_file)
        watch = LogWatch(subreq_httpd)
        status, _, _ = dav(pki, subreq_httpd, "COPY", own, "attacker",
                           headers={"Destination": destination(subreq_httpd, victim_file)})
        assert status == 403, f"expected 403, got {status}"
        assert on_disk(subreq_httpd, victim_file) == before, "the victim's file changed"
        assert watch.wait_for(r'PA00101: .*uri "' + victim_file + '"'), \
            "no PA00101 line naming the destination:\n" + "\n".join(watch.lines())

    def test_moving_a_device_collection_onto_another_devices_is_refused(
            self, pki, subreq_httpd, denials):
        for mac in (VICTIM, ATTACKER):
            status, _, _ = dav(pki, subreq_httpd, "MKCOL", f"/davtree/{mac}/",
                               DEVICES[mac])
            assert status in (201, 405), f"MKCOL /davtree/{mac}/: got {status}"
            put(pki, subreq_httpd, f"/davtree/{mac}/phone.cfg", mac,
                f"settings of {mac}\n".encode())
        before = on_disk(subreq_httpd, f"/davtree/{VICTIM}/phone.cfg")
        for method in ("COPY", "MOVE"):
            status, _, _ = dav(pki, subreq_httpd, method, f"/davtree/{ATTACKER}/",
                               "attacker",
                               headers={"Destination": destination(
                                   subreq_httpd, f"/davtree/{VICTIM}/"),
                                        "Overwrite": "T", "Depth": "infinity"})
            assert status == 403, f"{method} of a collection: expected 403, got {status}"
        assert on_disk(subreq_httpd, f"/davtree/{VICTIM}/phone.cfg") == before


class TestOwnNameStillWorks:
    @pytest.mark.parametrize("mac", ATTACKERS)
    def test_copy_then_move_to_the_phones_own_names(self, pki, subreq_httpd, mac):
        source = f"/logs/{mac}-app.log"
        copy = f"/logs/{mac}-app.log.1"
        moved = f"/logs/{mac}-app.log.2"
        put(pki, subreq_httpd, source, mac, b"boot log\n")
        for target in (copy, moved):
            dav(pki, subreq_httpd, "DELETE", target, DEVICES[mac])
        status, _, _ = dav(pki, subreq_httpd, "COPY", source, DEVICES[mac],
                           headers={"Destination": destination(subreq_httpd, copy)})
        assert status == 201, f"COPY to own name: expected 201, got {status}"
        status, _, _ = dav(pki, subreq_httpd, "COPY", source, DEVICES[mac],
                           headers={"Destination": destination(subreq_httpd, copy)})
        assert status == 204, f"COPY over own file: expected 204, got {status}"
        status, _, _ = dav(pki, subreq_httpd, "MOVE", copy, DEVICES[mac],
                           headers={"Destination": destination(subreq_httpd, moved)})
        assert status == 201, f"MOVE to own name: expected 201, got {status}"
        assert on_disk(subreq_httpd, moved) == b"boot log\n"
        assert on_disk(subreq_httpd, copy) is None

    def test_copy_into_a_directory_open_to_every_device(self, pki, subreq_httpd):
        source = f"/logs/{ATTACKER}-app.log"
        put(pki, subreq_httpd, source, ATTACKER, b"boot log\n")
        dav(pki, subreq_httpd, "DELETE", "/davopen/shared-copy.log", "attacker")
        status, _, _ = dav(pki, subreq_httpd, "COPY", source, "attacker",
                           headers={"Destination": destination(
                               subreq_httpd, "/davopen/shared-copy.log")})
        assert status == 201, f"expected 201, got {status}"


class TestOtherMethodsOnAnotherPhonesFile:
    LOCK_BODY = (b'<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">'
                 b'<D:lockscope><D:exclusive/></D:lockscope>'
                 b'<D:locktype><D:write/></D:locktype></D:lockinfo>')
    PROPPATCH_BODY = (b'<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" '
                      b'xmlns:Z="urn:x"><D:set><D:prop><Z:owner>evil</Z:owner>'
                      b'</D:prop></D:set></D:propertyupdate>')

    @pytest.mark.parametrize("method, suffix, body, headers", [
        ("GET", "-phone.cfg", None, {}),
        ("PUT", "-phone.cfg", b"evil\n", {}),
        ("DELETE", "-phone.cfg", None, {}),
        ("LOCK", "-phone.cfg", LOCK_BODY, {"Content-Type": "text/xml", "Timeout": "Second-60"}),
        ("UNLOCK", "-phone.cfg", None, {"Lock-Token": "<opaquelocktoken:0>"}),
        ("PROPPATCH", "-phone.cfg", PROPPATCH_BODY, {"Content-Type": "text/xml"}),
        ("PROPFIND", "-phone.cfg", None, {"Depth": "0"}),
        ("MKCOL", "-dir", None, {}),
    ])
    def test_method_on_the_victims_name_is_refused(
            self, pki, subreq_httpd, denials, victim_file, method, suffix, body, headers):
        before = on_disk(subreq_httpd, victim_file)
        status, _, _ = dav(pki, subreq_httpd, method, f"/logs/{VICTIM}{suffix}",
                           "attacker", body=body, headers=headers)
        assert status == 403, f"{method}: expected 403, got {status}"
        assert on_disk(subreq_httpd, victim_file) == before
        assert on_disk(subreq_httpd, f"/logs/{VICTIM}-dir") is None
