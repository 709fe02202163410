"""scripts/demo: three real apache2 on free loopback ports, the table it
prints from real requests, one-line errors for taken ports, and a stop that
leaves no server, port or file behind."""
import json
import os
import re
import socket
import struct
import subprocess
import sys

import pytest

from conftest import module_path
from httpd import free_port

DEMO = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "demo.py")

pytestmark = pytest.mark.skipif(not os.path.exists(DEMO), reason="no scripts/demo.py")

# What the demo must show, row by row: phone, request, then stock with
# `require`, stock with the vendor's recipe, mod_provauth (x: wrong answer).
EXPECTED = [
    ("Poly phone, in date", "/polycom/0004f2000001.cfg", "200", "200", "200"),
    ("Poly phone, expired 2024", "/polycom/0004f2000002.cfg",
     "TLS refused x", "TLS refused x", "200"),
    ("expired, issuing CA expired too", "/polycom/0004f200000e.cfg",
     "TLS refused x", "TLS refused x", "200"),
    ("self-signed, victim's MAC as CN", "/polycom/0004f2000001.cfg",
     "TLS refused", "200 x", "403"),
    ("Yealink phone in the Poly tree", "/polycom/001565000010.cfg", "200 x", "200 x", "403"),
    ("Poly phone, revoked by Poly", "/polycom/0004f2000008.cfg",
     "TLS refused", "TLS refused", "403"),
    ("Cisco-style CN CP-7945G-SEP<MAC>", "/cisco/SEP001122334455.cnf.xml",
     "200", "403 x", "200"),
    ("Poly phone ...aa, another's file", "/polycom/0004f2000001.cfg", "200 x", "403", "403"),
    ("no client certificate at all", "/polycom/0004f2000001.cfg", "TLS refused", "200 x", "403"),
]
SUMMARY = ("Only mod_provauth serves the expired phone, serves the phone under an expired "
           "CA and keeps the foreign vendor out of the Poly tree; right: require 5/9, "
           "recipe 3/9, mod_provauth 9/9.")


# 127.0.0.1 as /proc/net/tcp writes it (a native-endian word in hex)
LOOPBACK = "%08X" % struct.unpack("=I", socket.inet_aton("127.0.0.1"))[0]


def demo(directory, *args):
    env = dict(os.environ, PROVAUTH_DEMO_DIR=directory)
    return subprocess.run([sys.executable, DEMO, *args], capture_output=True, text=True,
                          env=env, timeout=120)


def alive(pid):
    """Running, or exited but not yet reaped by init (state Z: not alive)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def listening_ports(pid):
    """TCP ports in LISTEN state held by the process tree of `pid`."""
    pids = {pid}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        pids.add(int(entry))
            except OSError:
                pass
    inodes = set()
    for each in pids:
        try:
            for fd in os.listdir(f"/proc/{each}/fd"):
                target = os.readlink(f"/proc/{each}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            pass
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:
                    address, port = fields[1].split(":")
                    ports.add((address, int(port, 16)))
    return ports


@pytest.fixture(scope="module")
def running(workdir):
    directory = os.path.join(workdir, "demo")
    result = demo(directory, "start", "--module", module_path())
    assert result.returncode == 0, result.stdout + result.stderr
    with open(os.path.join(directory, "state.json")) as state:
        ports = json.load(state)["ports"]
    yield directory, result.stdout, ports
    demo(directory, "stop")


def table(output):
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("demo phone"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Only mod_provauth"))
    head = re.split(r"\s{2,}", lines[start])
    rows = [re.split(r"\s{2,}", line) for line in lines[start + 2:end]]
    return head, rows, lines[end]


def test_demo_table_has_a_row_per_phone_and_a_column_per_server(running):
    _, output, _ = running
    head, rows, summary = table(output)
    assert head == ["demo phone", "asks for", "require", "recipe", "mod_provauth",
                    "why (mod_provauth)"]
    assert [tuple(row[:5]) for row in rows] == EXPECTED, output
    assert all(len(row) in (5, 6) for row in rows), output
    assert summary == SUMMARY, output


def test_demo_shows_mod_provauths_reasons(running):
    _, output, _ = running
    reasons = {row[0]: row[5] for row in table(output)[1] if len(row) == 6}
    assert reasons["Poly phone, expired 2024"] == "EXPIRED"
    assert reasons["self-signed, victim's MAC as CN"] == "FAILED: self-signed certificate"
    assert reasons["Poly phone, revoked by Poly"] == "FAILED: certificate revoked"
    assert "is not in the requested file name" in reasons["Poly phone ...aa, another's file"]


def test_demo_servers_listen_on_loopback_on_their_ports_only(running):
    directory, output, ports = running
    assert len(set(ports.values())) == 3
    for name, port in ports.items():
        assert f"port {port}" in output
        with open(os.path.join(directory, name, "httpd.pid")) as pidfile:
            pid = int(pidfile.read())
        assert listening_ports(pid) == {(LOOPBACK, port)}, name


@pytest.mark.parametrize("option", ["--port", "--stock-ports"])
@pytest.mark.parametrize("command", ["start", "check"])
def test_demo_on_a_taken_port_fails_with_one_line(running, workdir, option, command):
    directory = os.path.join(workdir, "demo-taken")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        value = str(port) if option == "--port" else f"{free_port()},{port}"
        result = demo(directory, command, option, value, "--module", module_path())
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"scripts/demo: port {port} is already in use on 127.0.0.1; "
                             f"give another with {option}, or leave {option} out for a "
                             "free one\n")
    assert not os.path.exists(directory)
    # the running demo was left alone
    assert all(listening(p) for p in running[2].values())


def test_demo_rejects_bad_port_arguments_with_one_line(workdir):
    directory = os.path.join(workdir, "demo-bad")
    for args in (["--port", "http"], ["--port", "70000"], ["--stock-ports", "9"]):
        result = demo(directory, "start", *args)
        assert result.returncode == 1, args
        assert result.stderr.startswith("scripts/demo: argument ")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_demo_stop_stops_everything_and_removes_its_directory(running):
    directory, _, ports = running
    pids = []
    for name in ports:
        with open(os.path.join(directory, name, "httpd.pid")) as pidfile:
            pids.append(int(pidfile.read()))
    result = demo(directory, "stop")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("scripts/demo: stopped 3 servers")
    assert not any(alive(pid) for pid in pids)
    assert not any(listening(port) for port in ports.values())
    assert not os.path.exists(directory)
    again = demo(directory, "stop")
    assert (again.returncode, again.stdout) == (0, "scripts/demo: no demo running\n")
