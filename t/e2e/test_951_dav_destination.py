"""WebDAV Destination headers, spelled every way an attacker can: another
host, port or scheme, relative, percent-encoded, with dot segments, encoded
slashes, a trailing slash, a query, a fragment, path parameters, with and
without Overwrite, and collections with Depth: infinity.  Whatever mod_dav
makes of them, the victim's file keeps its bytes and no file of the
victim's name appears; COPY and MOVE to the phone's own names still work."""
import pytest

from attack_server import ATTACKER, DENIALS, DEVICES, EXPIRED, VICTIM, on_disk, request

# mod_dav's refusals of a Destination it cannot use (no id of its own for
# some): another server, a bad URI.
DAV_NOISE = [r"AH00594|AH00598|AH00599|AH00600|AH00601|AH00602|AH00603|AH00604|AH00605",
             r"Destination URI", r"The destination URI"]


@pytest.fixture
def denials(expect_log):
    expect_log.extend(DENIALS + DAV_NOISE)


@pytest.fixture
def victim_file(pki, attack_httpd):
    path = f"/dav/{VICTIM}-phone.cfg"
    status, _, _ = request(pki, attack_httpd, "PUT", path, "valid",
                           body=b"voIpProt.server.1.address=sip.example.net\n")
    assert status in (201, 204)
    return path


def own_file(pki, server, mac, name="-phone.cfg", body=b"evil\n"):
    path = f"/dav/{mac}{name}"
    status, _, _ = request(pki, server, "PUT", path, DEVICES[mac], body=body)
    assert status in (201, 204), f"PUT {path}: {status}"
    return path


def victim_names(server):
    """Every file in the upload directory whose name carries the victim's
    MAC (whatever else it holds)."""
    import os
    return sorted(name for name in os.listdir(os.path.join(server.root, "htdocs", "dav"))
                  if VICTIM in name.lower())


def spellings(server):
    port = server.ports["atk"]
    name = f"{VICTIM}-phone.cfg"
    return [
        f"https://localhost:{port}/dav/{name}",
        f"https://127.0.0.1:{port}/dav/{name}",
        f"https://LOCALHOST:{port}/dav/{name}",
        f"https://localhost.:{port}/dav/{name}",
        f"https://user:pw@localhost:{port}/dav/{name}",
        f"https://b.test:{port}/dav/{name}",
        f"https://localhost:1/dav/{name}",
        f"https://localhost/dav/{name}",
        f"http://localhost:{port}/dav/{name}",
        f"HTTPS://localhost:{port}/dav/{name}",
        f"/dav/{name}",
        f"dav/{name}",
        f"https://localhost:{port}/dav/%30004f2000001-phone.cfg",
        f"https://localhost:{port}/dav/%2530004f2000001-phone.cfg",
        f"https://localhost:{port}/dav/{VICTIM.upper()}-phone.cfg",
        f"https://localhost:{port}/dav/./{name}",
        f"https://localhost:{port}/dav/{ATTACKER}/../{name}",
        f"https://localhost:{port}/dav/{ATTACKER}%2F..%2F{name}",
        f"https://localhost:{port}/dav/{ATTACKER}/%2e%2e/{name}",
        f"https://localhost:{port}/DAV/../dav/{name}",
        f"https://localhost:{port}//dav//{name}",
        f"https://localhost:{port}/dav/{name}/",
        f"https://localhost:{port}/dav/{name}/{ATTACKER}",
        f"https://localhost:{port}/dav/{name}?{ATTACKER}",
        f"https://localhost:{port}/dav/{name}#{ATTACKER}",
        f"https://localhost:{port}/dav/{name};{ATTACKER}",
        f"https://localhost:{port}/dav/{name}%3B{ATTACKER}",
        f"https://localhost:{port}/dav/{name}%00{ATTACKER}",
        f"https://localhost:{port}/cfg/../dav/{name}",
    ]


class TestDestinationSpellings:
    @pytest.mark.parametrize("method", ["COPY", "MOVE"])
    @pytest.mark.parametrize("index", range(29))
    def test_victims_file_is_untouched(self, pki, attack_httpd, denials, victim_file,
                                       method, index):
        target = spellings(attack_httpd)[index]
        for overwrite in ("T", "F", None):
            own = own_file(pki, attack_httpd, ATTACKER)
            before = on_disk(attack_httpd, victim_file)
            headers = {"Destination": target}
            if overwrite:
                headers["Overwrite"] = overwrite
            status, _, _ = request(pki, attack_httpd, method, own, "attacker",
                                   headers=headers)
            assert on_disk(attack_httpd, victim_file) == before, \
                f"{method} to {target} (Overwrite {overwrite}): the victim's file " \
                f"changed ({status})"
            assert victim_names(attack_httpd) == [f"{VICTIM}-phone.cfg"], \
                f"{method} to {target} ({status}) left files of the victim's name"
            assert not 200 <= status < 300 or VICTIM not in target.lower(), \
                f"{method} to {target}: {status}"


class TestCollections:
    @pytest.fixture
    def trees(self, pki, attack_httpd):
        for mac in (VICTIM, ATTACKER):
            request(pki, attack_httpd, "MKCOL", f"/davtree/{mac}/", DEVICES[mac])
            status, _, _ = request(pki, attack_httpd, "PUT", f"/davtree/{mac}/phone.cfg",
                                   DEVICES[mac], body=f"settings of {mac}\n".encode())
            assert status in (201, 204)
        return f"/davtree/{VICTIM}/phone.cfg"

    @pytest.mark.parametrize("method", ["COPY", "MOVE"])
    @pytest.mark.parametrize("depth", ["infinity", "0", None])
    @pytest.mark.parametrize("target", [f"/davtree/{VICTIM}/", f"/davtree/{VICTIM}",
                                        f"/davtree/{VICTIM}/phone.cfg",
                                        f"/davtree/{VICTIM}/{ATTACKER}/"])
    def test_device_collection_onto_another_devices(self, pki, attack_httpd, denials,
                                                     trees, method, depth, target):
        before = on_disk(attack_httpd, trees)
        headers = {"Destination": f"https://localhost:{attack_httpd.ports['atk']}{target}",
                   "Overwrite": "T"}
        if depth:
            headers["Depth"] = depth
        status, _, _ = request(pki, attack_httpd, method, f"/davtree/{ATTACKER}/",
                               "attacker", headers=headers)
        assert on_disk(attack_httpd, trees) == before, f"{method} {target}: {status}"
        if target.endswith(f"{ATTACKER}/"):
            # Path mode: a directory named after the attacker is the
            # attacker's, even below the victim's (docs/mac-authorization.md).
            request(pki, attack_httpd, "DELETE", target, "attacker")
        else:
            assert status == 403, f"{method} {target}: expected 403, got {status}"

    def test_delete_and_lock_of_another_devices_collection(self, pki, attack_httpd,
                                                            denials, trees):
        before = on_disk(attack_httpd, trees)
        for method, headers in [("DELETE", {"Depth": "infinity"}),
                                ("LOCK", {"Depth": "infinity", "Timeout": "Second-60"}),
                                ("PROPFIND", {"Depth": "infinity"})]:
            status, _, data = request(pki, attack_httpd, method, f"/davtree/{VICTIM}/",
                                      "attacker", headers=headers)
            assert status == 403, f"{method}: expected 403, got {status}"
            assert b"settings" not in data
        assert on_disk(attack_httpd, trees) == before


class TestOwnNames:
    """Controls: the same headers with the phone's own name succeed."""

    @pytest.mark.parametrize("mac", [ATTACKER, EXPIRED])
    @pytest.mark.parametrize("method", ["COPY", "MOVE"])
    @pytest.mark.parametrize("spelling", ["https://localhost:{port}/dav/{mac}-own.cfg",
                                          "https://localhost:{port}/dav/./{mac}-own.cfg",
                                          "https://localhost:{port}/dav/%30{rest}-own.cfg"])
    def test_own_destination(self, pki, attack_httpd, mac, method, spelling):
        source = own_file(pki, attack_httpd, mac, "-source.cfg", b"mine\n")
        target = spelling.format(port=attack_httpd.ports["atk"], mac=mac, rest=mac[1:])
        request(pki, attack_httpd, "DELETE", f"/dav/{mac}-own.cfg", DEVICES[mac])
        status, _, _ = request(pki, attack_httpd, method, source, DEVICES[mac],
                               headers={"Destination": target})
        assert status == 201, f"{method} to {target}: expected 201, got {status}"
        assert on_disk(attack_httpd, f"/dav/{mac}-own.cfg") == b"mine\n"

    def test_own_collection_with_depth_infinity(self, pki, attack_httpd):
        request(pki, attack_httpd, "MKCOL", f"/davtree/{ATTACKER}/", "attacker")
        request(pki, attack_httpd, "PUT", f"/davtree/{ATTACKER}/phone.cfg", "attacker",
                body=b"mine\n")
        request(pki, attack_httpd, "DELETE", f"/davtree/{ATTACKER}-backup/", "attacker")
        status, _, _ = request(pki, attack_httpd, "COPY", f"/davtree/{ATTACKER}/",
                               "attacker", headers={
                                   "Destination": f"https://localhost:"
                                                  f"{attack_httpd.ports['atk']}"
                                                  f"/davtree/{ATTACKER}-backup/",
                                   "Depth": "infinity"})
        assert status == 201, f"expected 201, got {status}"
        assert on_disk(attack_httpd, f"/davtree/{ATTACKER}-backup/phone.cfg") == b"mine\n"
