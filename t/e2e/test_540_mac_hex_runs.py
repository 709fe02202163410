"""A MAC inside a longer run of hex digits: only the run's last twelve digits
name a device.  A genuine vendor certificate with CN a00112233445 (the 'a' of
"spa" plus eleven digits of 001122334455) must not get spa001122334455.xml;
every vendor's file-name form keeps working for its own phone."""
import datetime
import os

import pytest

from clients import get
from conftest import COMMON, SERVERS, STARTUP_NOISE, module_path, tls_vhost
from httpd import Httpd, free_port, make_world_readable

VICTIM, ATTACKER = "001122334455", "a00112233445"

# Every documented per-phone form, named after the victim.
VICTIM_FILES = [
    f"spa{VICTIM}.xml",                 # Cisco/Linksys SPA
    f"SPA{VICTIM}.XML",
    f"SEP{VICTIM}.cnf.xml",             # Cisco
    f"CTLSEP{VICTIM}.tlv",
    f"{VICTIM}.cfg",                    # Poly, Yealink
    f"{VICTIM}-phone.cfg",              # Poly overrides
    f"{VICTIM}-directory.xml",          # Poly contacts
    f"{VICTIM}-local.cfg",              # Yealink overrides
    f"cfg{VICTIM}.xml",                 # Grandstream
    VICTIM,                             # a file named exactly the MAC
]
# Names where the victim's MAC is not the last twelve of its run.
NOT_THE_VICTIMS = [f"{VICTIM}aabbccddeeff.cfg", f"{VICTIM}0.cfg"]
ATTACKER_FILES = [f"{ATTACKER}.cfg", f"spa{ATTACKER}.xml"]

DIRS = """
    <Directory {root}/htdocs/spa>
        ProvAuthCACertificateFile {poly_root}
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/tree>
        ProvAuthCACertificateFile {poly_root}
        Require provauth-mac path
    </Directory>"""


def add_device(pki, name, cn):
    """A genuine Poly device with this CN (made once per session)."""
    if name not in pki.devices:
        now = datetime.datetime.utcnow().replace(microsecond=0)
        pki._device(name, cn, pki.poly_issuing, now - datetime.timedelta(days=30),
                    now + datetime.timedelta(days=3650))
    return name


@pytest.fixture(scope="module")
def hexrun_httpd(workdir, pki):
    root = os.path.join(workdir, "hexruns")
    for directory, names in {"spa": VICTIM_FILES + NOT_THE_VICTIMS + ATTACKER_FILES,
                             f"tree/spa{VICTIM}": ["phone.cfg"],
                             f"tree/{ATTACKER}": ["phone.cfg"]}.items():
        path = os.path.join(root, "htdocs", directory)
        os.makedirs(path, exist_ok=True)
        for name in names:
            with open(os.path.join(path, name), "w") as out:
                out.write(f"{directory}/{name}\n")
    make_world_readable(os.path.join(root, "htdocs"))
    ports = {"mac": free_port()}
    intermediates = f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}"
    body = (COMMON + "Listen 127.0.0.1:{mac}\n"
            + tls_vhost(pki, "mac", "optional_no_ca",
                        "    ProvAuthAcceptExpired On\n" + intermediates,
                        DIRS.replace("{poly_root}", pki.path("poly-root.pem"))))
    server = Httpd(root, body, module=module_path(), ports=ports)
    server.start()
    server.allowed_startup = STARTUP_NOISE
    SERVERS.append(server)
    add_device(pki, "hexrun-victim", VICTIM)
    add_device(pki, "hexrun-attacker", ATTACKER)
    yield server
    SERVERS.remove(server)
    server.stop()


@pytest.fixture
def denials(expect_log):
    expect_log.extend([r"PA00101", r"AH01630"])


def fetch(pki, server, path, device):
    return get(pki, server.ports["mac"], path, device)


def test_attacker_with_a_and_eleven_digits_is_refused_the_victims_spa_file(
        pki, hexrun_httpd, denials):
    reply = fetch(pki, hexrun_httpd, f"/spa/spa{VICTIM}.xml", "hexrun-attacker")
    assert reply.status == 403, f"expected 403, got {reply}"
    assert reply.headers["x-provauth-status"] == "VALID", str(reply)
    assert reply.headers["x-provauth-mac"] == ATTACKER, str(reply)
    assert reply.headers["x-provauth-error"] == (
        f"MAC {ATTACKER} is not in the requested file name"), str(reply)
    hexrun_httpd.settle()
    lines = [line for line in hexrun_httpd.new_log_lines() if "PA00101" in line]
    assert any(f"spa{VICTIM}.xml" in line for line in lines), lines


def test_attacker_is_refused_in_path_mode_too(pki, hexrun_httpd, denials):
    reply = fetch(pki, hexrun_httpd, f"/tree/spa{VICTIM}/phone.cfg", "hexrun-attacker")
    assert reply.status == 403, f"expected 403, got {reply}"
    assert reply.headers["x-provauth-error"] == (
        f"MAC {ATTACKER} is not in the requested path"), str(reply)


@pytest.mark.parametrize("name", VICTIM_FILES)
def test_victim_gets_every_form_of_its_own_file(pki, hexrun_httpd, name):
    reply = fetch(pki, hexrun_httpd, f"/spa/{name}", "hexrun-victim")
    assert reply.status == 200, f"{name}: expected 200, got {reply}"
    assert reply.headers["x-provauth-mac"] == VICTIM, str(reply)


@pytest.mark.parametrize("name", [n for n in VICTIM_FILES if n != f"spa{VICTIM}.xml"])
def test_attacker_is_refused_every_form_of_the_victims_file(pki, hexrun_httpd, denials,
                                                            name):
    reply = fetch(pki, hexrun_httpd, f"/spa/{name}", "hexrun-attacker")
    assert reply.status == 403, f"{name}: expected 403, got {reply}"


def test_victim_gets_its_directory_in_path_mode(pki, hexrun_httpd):
    reply = fetch(pki, hexrun_httpd, f"/tree/spa{VICTIM}/phone.cfg", "hexrun-victim")
    assert reply.status == 200, f"expected 200, got {reply}"


@pytest.mark.parametrize("name", ATTACKER_FILES)
def test_attacker_certificate_is_trusted_and_gets_its_own_files(pki, hexrun_httpd, name):
    """Control: the refusals above are the run rule, not a distrusted certificate."""
    reply = fetch(pki, hexrun_httpd, f"/spa/{name}", "hexrun-attacker")
    assert reply.status == 200, f"{name}: expected 200, got {reply}"
    reply = fetch(pki, hexrun_httpd, f"/tree/{ATTACKER}/phone.cfg", "hexrun-attacker")
    assert reply.status == 200, f"expected 200, got {reply}"


@pytest.mark.parametrize("name", NOT_THE_VICTIMS)
def test_victims_mac_not_ending_its_run_does_not_name_it(pki, hexrun_httpd, denials,
                                                         name):
    reply = fetch(pki, hexrun_httpd, f"/spa/{name}", "hexrun-victim")
    assert reply.status == 403, f"{name}: expected 403, got {reply}"
