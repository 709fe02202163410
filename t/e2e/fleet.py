"""Servers and phones for the device registry tests (test_900-949): a
provisioning server with mod_status, the status handler and the access log
format the package ships, a mix of devices to send through it, and readers
of its JSON and server-status."""
import json
import os
import re
import subprocess
import time

import clients
import slips
from conftest import SERVERS, module_path, tls_vhost
from httpd import BASE_MODULES, Httpd, free_port, make_world_readable

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The phones of the mix: (device in pki.py, path asked, expected HTTP status,
# expected PROVAUTH_STATUS).  Each phone asks twice on one connection.
MIX = [
    ("valid", "/polycom/0004f2000001.cfg", 200, "VALID"),
    ("expired", "/polycom/0004f2000002.cfg", 200, "EXPIRED"),
    ("notyet", "/polycom/0004f2000003.cfg", 200, "NOT_YET_VALID"),
    ("yealink", "/yealink/001565000010.cfg", 200, "VALID"),
    ("selfsigned", "/polycom/0004f2000004.cfg", 403, "FAILED"),
    ("wrongvendor", "/polycom/0004f2000006.cfg", 403, "FAILED"),
    # a self-signed certificate claiming the valid phone's MAC
    ("selfsigned-victim", "/polycom/0004f2000001.cfg", 403, "FAILED"),
    # a genuine phone asking for another phone's file
    ("attacker", "/polycom/0004f2000001.cfg", 403, "VALID"),
    # a self-signed phone, expired, pinned by ProvAuthPinnedDeviceFile
    ("selfsigned-expired", "/polycom/0004f2000005.cfg", 200, "PINNED"),
    # a genuine phone asking for another phone's file where
    # ProvAuthReportOnly is On: served, recorded as a would-be denial
    ("cn-colons", "/reportonly/0004f2000001.cfg", 200, "VALID"),
]

FILES = {"reportonly": ["0004f2000001.cfg"],
         "polycom": ["0004f2000001.cfg", "0004f2000002.cfg", "0004f2000003.cfg",
                     "0004f2000004.cfg", "0004f2000005.cfg", "0004f2000006.cfg",
                     "0004f20000aa.cfg"],
         "yealink": ["001565000010.cfg"]}

# What the denials of the mix log (PA00130: the enrollment line of the
# unpinned self-signed phones; PA00120: the would-be denial).
MIX_LOG = [r"PA00101", r"AH01630", r"PA00130", r"PA00120"]


def fleet_log_format():
    """The LogFormat line named provauth_fleet, as the package ships it."""
    with open(os.path.join(TOP, "debian", "provauth.conf")) as conf:
        for line in conf:
            if line.startswith("LogFormat") and line.rstrip().endswith("provauth_fleet"):
                return line.strip()
    raise AssertionError("debian/provauth.conf defines no provauth_fleet LogFormat")


def fleet_body(pki, registry=""):
    log_format = fleet_log_format().replace("{", "{{").replace("}", "}}")
    poly_root = f"ProvAuthCACertificateFile {pki.path('poly-root.pem')}"
    extra = "\n".join([
        "    ProvAuthAcceptExpired On",
        f"    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}",
        '    Header always set X-Provauth-Status "%{{PROVAUTH_STATUS}}e"',
        '    Header always set X-Provauth-Error "%{{PROVAUTH_ERROR}}e"',
        '    Header always set X-Provauth-Mac "%{{PROVAUTH_MAC}}e"'])
    sections = (
        slips.directory("polycom", poly_root, "ProvAuthPinnedDeviceFile {root}/pins.txt",
                        "Require provauth-mac")
        + slips.directory("reportonly", poly_root, "ProvAuthReportOnly On",
                          "Require provauth-mac")
        + slips.directory("yealink", f"ProvAuthCACertificateFile {pki.path('yealink-root.pem')}",
                          "Require provauth-mac")
        + """
    <Location /provauth-status>
        SetHandler provauth-status
        Require ip 127.0.0.1
    </Location>
    <Location /server-status>
        SetHandler server-status
        Require ip 127.0.0.1
    </Location>""")
    return f"""
{registry}
{log_format}
CustomLog {{root}}/fleet.log provauth_fleet
ExtendedStatus On
<Directory {{root}}/htdocs>
    Require all granted
</Directory>
Listen 127.0.0.1:{{fleet}}
""" + tls_vhost(pki, "fleet", "optional_no_ca", extra, sections)


class FleetServer:
    """A provisioning server of the fleet tests, in the error-log guard."""

    def __init__(self, workdir, pki, name, registry=""):
        self.pki = pki
        root = os.path.join(workdir, name)
        for directory, names in FILES.items():
            path = os.path.join(root, "htdocs", directory)
            os.makedirs(path, exist_ok=True)
            for file_name in names:
                with open(os.path.join(path, file_name), "w") as out:
                    out.write(f"{directory}/{file_name}\n")
        make_world_readable(os.path.join(root, "htdocs"))
        with open(os.path.join(root, "pins.txt"), "w") as pins:
            pins.write(f"0004f2000005 {cert_fingerprint(pki, 'selfsigned-expired')}\n")
        self.port = free_port()
        self.httpd = Httpd(root, fleet_body(pki, registry), module=module_path(),
                           modules=BASE_MODULES + ["status", "authz_host"], ports={"fleet": self.port})
        self.httpd.allowed_startup = []

    def start(self):
        self.httpd.start()
        SERVERS.append(self.httpd)
        return self

    def stop(self):
        if self.httpd in SERVERS:
            SERVERS.remove(self.httpd)
        self.httpd.stop()

    @property
    def root(self):
        return self.httpd.root

    def send_mix(self, mix=MIX, times=2):
        """Each phone of the mix asks `times` times on one connection; the
        replies, by device."""
        replies = {}
        for device, path, _, _ in mix:
            got = clients.get(self.pki, self.port, [path] * times, device=device)
            replies[device] = got if isinstance(got, list) else [got]
        return replies

    def get(self, path):
        return subprocess.run(["curl", "-s", "--max-time", "20", "--cacert",
                               self.pki.path("server-ca.pem"), "--resolve",
                               f"localhost:{self.port}:127.0.0.1",
                               f"https://localhost:{self.port}{path}"],
                              capture_output=True, text=True, check=True).stdout

    def registry(self):
        return json.loads(self.get("/provauth-status?json"))

    def wait_for(self, predicate, timeout=10):
        """The registry's JSON once predicate(json) holds (records are
        written when a connection closes, just after its last response)."""
        deadline = time.time() + timeout
        while True:
            doc = self.registry()
            if predicate(doc) or time.time() > deadline:
                return doc
            time.sleep(0.1)

    def server_status(self):
        text = self.get("/server-status?auto")
        return {key: value.strip() for key, _, value in
                (line.partition(":") for line in text.splitlines()) if _}


def by_key(doc):
    return {device["key"]: device for device in doc["devices"]}


def devices_with_mac(doc, mac):
    return [device for device in doc["devices"] if device["mac"] == mac]


def cert_serial_hex(pki, device):
    return format(pki.devices[device].serial_number, "X")


def cert_fingerprint(pki, device):
    from cryptography.hazmat.primitives import hashes
    return pki.devices[device].fingerprint(hashes.SHA256()).hex()


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
