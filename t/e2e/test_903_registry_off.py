"""The registry never changes what a request gets: the same phones against a
server with the registry and one with `ProvAuthDeviceRegistry none` get the
same answers and variables.  Without it the status page says so, and
server-status still counts; a bad ProvAuthDeviceRegistry stops apache2 -t."""
import os

import pytest

import clients
from conftest import module_path
from fleet import MIX, MIX_LOG, FleetServer
from httpd import BASE_MODULES, Httpd

# The mix, plus a phone without certificate and the shared/other paths.
EXTRA = [(None, "/polycom/0004f2000001.cfg"), ("valid", "/yealink/001565000010.cfg"),
         ("yealink", "/polycom/0004f2000001.cfg"), ("expired", "/polycom/0004f2000001.cfg")]


@pytest.fixture(scope="module")
def servers(workdir, pki):
    on = FleetServer(workdir, pki, "fleet-on").start()
    off = FleetServer(workdir, pki, "fleet-off", registry="ProvAuthDeviceRegistry none").start()
    yield on, off
    on.stop()
    off.stop()


@pytest.fixture
def expect_log():
    return list(MIX_LOG)


def answers(server, pki):
    seen = []
    for device, path in [(d, p) for d, p, _, _ in MIX] + EXTRA:
        for reply in clients.get(pki, server.port, [path, path], device=device):
            seen.append((device, path, reply.status, reply.headers.get("x-provauth-status"),
                         reply.headers.get("x-provauth-error"),
                         reply.headers.get("x-provauth-mac")))
    return seen


def test_registry_on_and_off_give_identical_answers(servers, pki):
    on, off = servers
    got_on, got_off = answers(on, pki), answers(off, pki)
    assert got_on == got_off
    assert len(got_on) == 2 * (len(MIX) + len(EXTRA))
    assert {status for _, _, status, *_ in got_on} == {200, 403}


def test_without_registry_the_page_says_so_and_counters_still_count(servers):
    _, off = servers
    doc = off.registry()
    assert doc["registry"] == "off" and doc["devices"] == [] and doc["complete"] is False
    assert "The device registry is off" in off.get("/provauth-status")
    auto = off.server_status()
    assert auto["ProvAuthRegistry"] == "off" and "ProvAuthRegistryRecords" not in auto
    assert int(auto["ProvAuthRequestsValid"]) > 0


def configtest(workdir, name, body):
    server = Httpd(os.path.join(workdir, "config", name), body, module=module_path(),
                   modules=BASE_MODULES)
    result = server.configtest()
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("line, message", [
    ("ProvAuthDeviceRegistry bogus:/x", "no socache provider 'bogus'"),
    ("ProvAuthDeviceRegistry shmcb:/tmp/x(100)", "size has to be >= 8192"),
    ("<VirtualHost 127.0.0.1:8443>\nProvAuthDeviceRegistry none\n</VirtualHost>",
     "cannot occur within"),
])
def test_bad_registry_line_fails_configtest(workdir, line, message):
    code, out = configtest(workdir, f"registry-{abs(hash(line))}", line + "\n")
    assert code != 0, out
    assert "ProvAuthDeviceRegistry" in out and message in out, out


@pytest.mark.parametrize("line", ["ProvAuthDeviceRegistry none",
                                  "ProvAuthDeviceRegistry shmcb",
                                  "ProvAuthDeviceRegistry shmcb:provauth-registry(1048576)"])
def test_good_registry_line_passes_configtest(workdir, line):
    code, out = configtest(workdir, f"registry-ok-{abs(hash(line))}", line + "\n")
    assert code == 0 and "Syntax OK" in out, out
