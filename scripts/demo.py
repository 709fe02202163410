"""Demo driver: a demo vendor PKI, three real httpd instances side by side
(stock mod_ssl with `SSLVerifyClient require`, stock with the vendor's
`<If -strcmatch>` recipe under `optional_no_ca`, and mod_provauth), and a
table of what each demo phone gets from each, from real TLS requests.

    demo.py start [--port N] [--stock-ports N,N] [--module PATH]
    demo.py check [--port N] [--stock-ports N,N]   (ports only, before a build)
    demo.py stop

Ports are free ones the kernel hands out unless given; nothing else is ever
bound, and only on 127.0.0.1. Everything lives in one directory
(PROVAUTH_DEMO_DIR, default /var/tmp/provauth-demo) that `stop` removes
after stopping the servers it recorded there. Expected failures print one
line on stderr and exit 1."""
import argparse
import datetime
import errno
import json
import os
import shutil
import signal
import socket
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="SHA1 signatures are deprecated")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "t", "e2e"))

from clients import get  # noqa: E402
from httpd import BASE_MODULES, Httpd, free_port, make_world_readable  # noqa: E402
from pki import EXPIRED_2024, NOW, YEAR, Pki  # noqa: E402

PROG = "scripts/demo"
DEFAULT_DIR = "/var/tmp/provauth-demo"
DEMO_DIR = os.path.abspath(os.environ.get("PROVAUTH_DEMO_DIR", DEFAULT_DIR))
MARKER = ".provauth-demo"          # only a directory holding it is ever removed
STATE = "state.json"
MODULE = os.path.join(HERE, "..", ".libs", "mod_provauth.so")
ADDRESS = "127.0.0.1"


class DemoError(Exception):
    """An expected failure: reported as one line, no traceback."""


class DemoPki(Pki):
    """The end-to-end suite's PKI, plus a Cisco vendor, a Cisco-style phone and
    an expired phone under an expired issuing CA, and the bundles a server
    provisioning all three vendors would hold."""

    def __init__(self, directory):
        super().__init__(directory)
        self.cisco_root = self._ca("Cisco Test Root CA", "Cisco", None)
        self.cisco_issuing = self._ca("Cisco Test Manufacturing CA", "Cisco",
                                      self.cisco_root)
        self._device("cisco-phone", "CP-7945G-SEP001122334455", self.cisco_issuing,
                     NOW - YEAR, NOW + 10 * YEAR)
        self._device("oldca-expired", "0004f200000e", self.poly_issuing_old,
                     datetime.datetime(2010, 1, 1), EXPIRED_2024)
        self._write("cisco-root.pem", [self.cisco_root])
        self._write("demo-roots.pem", [self.poly_root, self.yea_root, self.cisco_root])
        self._write("demo-intermediates.pem",
                    [self.poly_issuing, self.poly_policy, self.poly_issuing_old,
                     self.yea_issuing, self.cisco_issuing])
        self._crl("cisco-crl.pem", [(self.cisco_issuing, [])])
        with open(self.path("demo-crls.pem"), "wb") as out:
            for name in ("poly-crl.pem", "yealink-crl.pem", "cisco-crl.pem"):
                with open(self.path(name), "rb") as crl:
                    out.write(crl.read())


# One row per demo phone: what the phone is, its certificate (None: no
# certificate at all), the file it asks for, whether it should be served, and
# what getting its row right means (for the summary line).
PHONES = [
    ("Poly phone, in date", "valid", "/polycom/0004f2000001.cfg", True,
     "serves the valid phone"),
    ("Poly phone, expired 2024", "expired", "/polycom/0004f2000002.cfg", True,
     "serves the expired phone"),
    ("expired, issuing CA expired too", "oldca-expired", "/polycom/0004f200000e.cfg", True,
     "serves the phone under an expired CA"),
    ("self-signed, victim's MAC as CN", "selfsigned-victim", "/polycom/0004f2000001.cfg",
     False, "refuses the self-signed forgery"),
    ("Yealink phone in the Poly tree", "yealink", "/polycom/001565000010.cfg", False,
     "keeps the foreign vendor out of the Poly tree"),
    ("Poly phone, revoked by Poly", "revoked", "/polycom/0004f2000008.cfg", False,
     "refuses the revoked phone"),
    ("Cisco-style CN CP-7945G-SEP<MAC>", "cisco-phone", "/cisco/SEP001122334455.cnf.xml",
     True, "serves the Cisco-style phone"),
    ("Poly phone ...aa, another's file", "attacker", "/polycom/0004f2000001.cfg", False,
     "refuses another phone's file"),
    ("no client certificate at all", None, "/polycom/0004f2000001.cfg", False,
     "refuses a client without a certificate"),
]

# The three servers: name in the demo directory, column heading, and how the
# virtual host checks phones. All three trust the same three vendors' roots.
COLUMNS = [
    ("require", "require",
     "stock mod_ssl, SSLVerifyClient require (the vendors' roots and CRLs)"),
    ("recipe", "recipe",
     "stock mod_ssl, optional_no_ca + Poly's <If -strcmatch> recipe (same files)"),
    ("provauth", "mod_provauth",
     "optional_no_ca, ProvAuthAcceptExpired, a vendor root per tree, provauth-mac"),
]

VHOST = """
Listen {address}:{port}
<VirtualHost {address}:{port}>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile {pki}/server.crt
    SSLCertificateKeyFile {pki}/server.key
    # This server provisions Poly, Yealink and Cisco phones: all three roots.
    SSLCACertificateFile {pki}/demo-roots.pem
    SSLVerifyDepth 5
{checks}
</VirtualHost>
"""

STOCK_CRLS = """    # The vendors' CRLs, as mod_ssl takes them (all or nothing per vhost).
    SSLCARevocationFile {pki}/demo-crls.pem
    SSLCARevocationCheck chain no_crl_for_cert_ok"""

CHECKS = {
    # Stock mod_ssl, strict: the handshake verifies the chain, dates and CRLs;
    # any phone that passes it gets any file.
    "require": STOCK_CRLS + """
    SSLVerifyClient require
    <Directory {root}/htdocs>
        Options -Indexes
        Require all granted
    </Directory>""",
    # Stock mod_ssl as Poly's guide has it: the handshake accepts unknown
    # issuers, and a file is served when the certificate's CN occurs in its
    # path (the guide's <If -strcmatch> recipe, applied to the whole tree).
    "recipe": STOCK_CRLS + """
    SSLVerifyClient optional_no_ca
    <Directory {root}/htdocs>
        Options -Indexes
        <If "%{REQUEST_URI} -strcmatch '*%{SSL_CLIENT_S_DN_CN}*'">
            Require all granted
        </If>
        <Else>
            Require all denied
        </Else>
    </Directory>""",
    # mod_provauth: expired phones pass the handshake; each directory pins
    # its vendor's root and CRLs and serves a phone only its own files.
    "provauth": """    SSLVerifyClient optional_no_ca
    ProvAuthAcceptExpired On
    ProvAuthIntermediateFile {pki}/demo-intermediates.pem
    Header always set X-Provauth-Status "%{PROVAUTH_STATUS}e"
    Header always set X-Provauth-Error "%{PROVAUTH_ERROR}e"
    <Directory {root}/htdocs>
        Options -Indexes
        Require all denied
    </Directory>
    <Directory {root}/htdocs/polycom>
        ProvAuthCACertificateFile {pki}/poly-root.pem
        ProvAuthCRLFile {pki}/poly-crl.pem
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/yealink>
        ProvAuthCACertificateFile {pki}/yealink-root.pem
        ProvAuthCRLFile {pki}/yealink-crl.pem
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/cisco>
        ProvAuthCACertificateFile {pki}/cisco-root.pem
        ProvAuthCRLFile {pki}/cisco-crl.pem
        ProvAuthMACFrom CN "SEP([0-9A-Fa-f]{12})$"
        Require provauth-mac
    </Directory>""",
}


# -- ports ---------------------------------------------------------------

def bind_error(port):
    """Why httpd could not listen on `port` now, or None. Binds with
    SO_REUSEADDR as httpd does, so a port in TIME_WAIT counts as free."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ADDRESS, port))
        except OSError as err:
            return err
    return None


def port_message(port, err, option):
    if err.errno == errno.EADDRINUSE:
        return (f"port {port} is already in use on {ADDRESS}; give another with "
                f"{option}, or leave {option} out for a free one")
    if err.errno == errno.EACCES:
        return f"port {port} needs root; use a port above 1023"
    return f"cannot use port {port}: {err.strerror}"


def check_requested(requested, own_ports=()):
    """One-line errors for requested ports that are taken; ports held by the
    demo being replaced do not count (start stops it first)."""
    for name, port in requested.items():
        if port in own_ports:
            continue
        err = bind_error(port)
        if err:
            option = "--port" if name == "provauth" else "--stock-ports"
            raise DemoError(port_message(port, err, option))


def choose_ports(requested):
    """A port per server: the requested ones, free ones for the rest."""
    ports = dict(requested)
    for name, _, _ in COLUMNS:
        while name not in ports:
            port = free_port()
            if port not in ports.values():
                ports[name] = port
    return ports


# -- servers -------------------------------------------------------------

def server(name, port, pki_dir, module):
    root = os.path.join(DEMO_DIR, name)
    body = VHOST.format(address=ADDRESS, port=port, pki=pki_dir,
                        checks=CHECKS[name].replace("{pki}", pki_dir)
                                           .replace("{root}", root))
    # Httpd formats the body once more: keep the expressions' braces.
    body = body.replace("{", "{{").replace("}", "}}")
    return Httpd(root, body, module=module if name == "provauth" else None,
                 modules=BASE_MODULES, ports={"https": port})


def write_tree(root):
    for _, _, path, _, _ in PHONES:
        target = os.path.join(root, "htdocs", path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as out:
            out.write(f"<!-- {os.path.basename(path)}: the phone's SIP password -->\n")
        os.chmod(target, 0o644)
    # httpd's children (www-data) read the tree, whatever the umask
    make_world_readable(os.path.join(root, "htdocs"))
    for directory, _, _ in os.walk(os.path.join(root, "htdocs")):
        os.chmod(directory, 0o755)


def start_servers(ports, requested, pki_dir, module):
    """Starts the three servers; a chosen port lost to a race is chosen again,
    a requested one taken is a one-line error."""
    started = []
    try:
        for name, _, _ in COLUMNS:
            for _ in range(3):
                srv = server(name, ports[name], pki_dir, module)
                write_tree(srv.root)
                try:
                    srv.start()
                    started.append(srv)
                    break
                except RuntimeError as err:
                    if "could not bind" not in str(err):
                        raise DemoError(f"apache2 ({name}) did not start: "
                                        f"{first_error(srv, err)}") from None
                    if name in requested:
                        option = "--port" if name == "provauth" else "--stock-ports"
                        raise DemoError(port_message(
                            ports[name], OSError(errno.EADDRINUSE, ""), option)) from None
                    taken = set(ports.values())
                    while ports[name] in taken:
                        ports[name] = free_port()
            else:
                raise DemoError(f"apache2 ({name}) found no free port")
            save_state(ports, [s.root for s in started])
    except BaseException:
        stop_servers([srv.root for srv in started])
        raise
    return started


def first_error(srv, err):
    for line in (srv.read_log() + "\n" + str(err)).splitlines():
        if "error" in line.lower() or "AH0" in line:
            return f"{line.strip()} (log: {srv.error_log})"
    return f"see {srv.error_log}"


def save_state(ports, roots):
    with open(os.path.join(DEMO_DIR, STATE), "w") as out:
        json.dump({"ports": ports, "servers": roots}, out)


def load_state():
    try:
        with open(os.path.join(DEMO_DIR, STATE)) as state:
            return json.load(state)
    except (OSError, ValueError):
        return {"ports": {}, "servers": []}


def demo_pid(root):
    """The pid in `root`'s pid file if that process is the apache2 started
    with `root`'s configuration (a stale file's reused pid is not)."""
    conf = os.path.join(root, "httpd.conf")
    try:
        with open(os.path.join(root, "httpd.pid")) as pidfile:
            pid = int(pidfile.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            argv = cmdline.read().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if conf.encode() in argv else None


def running(pid):
    """False once the process has exited, even before its parent (init)
    reaps it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_servers(roots):
    """Stops (SIGTERM, as `apache2 -k stop`) the demo's httpd under each
    root, all at once, and waits for them; returns the roots stopped."""
    pids = {root: demo_pid(root) for root in roots}
    pids = {root: pid for root, pid in pids.items() if pid}
    for pid in pids.values():
        os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 15
    while any(running(pid) for pid in pids.values()) and time.time() < deadline:
        time.sleep(0.05)
    return sorted(pids)


# -- commands ------------------------------------------------------------

def requested_ports(args):
    requested = {}
    if args.port is not None:
        requested["provauth"] = args.port
    if args.stock_ports is not None:
        requested["require"], requested["recipe"] = args.stock_ports
    if len(set(requested.values())) != len(requested):
        raise DemoError("the three servers need three different ports")
    return requested


def check(args):
    check_requested(requested_ports(args), load_state()["ports"].values())


def start(args):
    requested = requested_ports(args)
    module = os.path.abspath(args.module)
    if not os.path.exists(module):
        raise DemoError(f"no module at {module}: run scripts/build first")
    stop(quiet=True)
    check_requested(requested)
    if os.path.exists(DEMO_DIR) and os.listdir(DEMO_DIR):
        raise DemoError(f"{DEMO_DIR} exists and is not a demo directory; "
                        "set PROVAUTH_DEMO_DIR to another path")
    os.makedirs(DEMO_DIR, exist_ok=True)
    open(os.path.join(DEMO_DIR, MARKER), "w").close()
    try:
        make_world_readable(DEMO_DIR)
        pki = DemoPki(os.path.join(DEMO_DIR, "pki"))
        ports = choose_ports(requested)
        start_servers(ports, requested, pki.dir, module)
    except BaseException:
        shutil.rmtree(DEMO_DIR)     # start_servers stopped what it started
        raise
    print_table(pki, ports)


def outcome(reply):
    """The cell text and whether the phone was served."""
    if reply.rejected:
        return "TLS refused", False
    return str(reply.status), reply.status == 200


def print_table(pki, ports):
    head = ["demo phone", "asks for"] + [title for _, title, _ in COLUMNS] + ["why (mod_provauth)"]
    rows, right = [], {name: [] for name, _, _ in COLUMNS}
    for what, device, path, should_serve, _ in PHONES:
        cells, reason = [], ""
        for name, _, _ in COLUMNS:
            reply = get(pki, ports[name], path, device)
            text, served = outcome(reply)
            ok = served == should_serve
            right[name].append(ok)
            cells.append(text + ("" if ok else " x"))
            if name == "provauth" and not reply.rejected:
                reason = provauth_reason(reply)
        rows.append([what, path] + cells + [reason])
    widths = [max(len(row[i]) for row in [head] + rows) for i in range(len(head))]

    def line(row):
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()

    print(f"Each demo phone asks three apache2 on {ADDRESS} for a file (real TLS requests):")
    for name, title, what in COLUMNS:
        print(f"  {title:<13} {what}, port {ports[name]}")
    print("A cell is the HTTP status, or TLS refused when the handshake failed; x marks a\n"
          "wrong answer: a phone locked out of its own file, or a file served to a stranger.")
    print()
    print(line(head))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
    only = [PHONES[i][4] for i in range(len(PHONES))
            if right["provauth"][i] and not any(right[n][i] for n, _, _ in COLUMNS[:-1])]
    scores = ", ".join(f"{title} {sum(right[name])}/{len(PHONES)}"
                       for name, title, _ in COLUMNS)
    only = (", ".join(only[:-1]) + " and " + only[-1]) if len(only) > 1 else "".join(only)
    print(f"Only mod_provauth {only or 'gets nothing right that stock misses'}; "
          f"right: {scores}.")
    print(f"""
Try:     curl --cacert {pki.path('server-ca.pem')} --cert {pki.chain('expired')} \\
              --key {pki.key} https://{ADDRESS}:{ports['provauth']}/polycom/0004f2000002.cfg
Configs: {DEMO_DIR}/{{require,recipe,provauth}}/httpd.conf (error.log beside each)
Stop:    {stop_command()}""")


def stop_command():
    prefix = "" if DEMO_DIR == DEFAULT_DIR else f"PROVAUTH_DEMO_DIR={DEMO_DIR} "
    return f"{prefix}{PROG} stop"


def provauth_reason(reply):
    status = reply.headers.get("x-provauth-status", "")
    error = reply.headers.get("x-provauth-error", "")
    parts = [p for p in (status, error) if p and p != "(null)"]
    return ": ".join(parts)


def stop(args=None, quiet=False):
    state = load_state()
    roots = set(state["servers"])
    roots.update(os.path.join(DEMO_DIR, name) for name, _, _ in COLUMNS)
    stopped = stop_servers(roots)
    removed = os.path.exists(os.path.join(DEMO_DIR, MARKER))
    if removed:
        shutil.rmtree(DEMO_DIR)
    if quiet:
        return
    if stopped:
        ports = ", ".join(str(p) for p in sorted(state["ports"].values()))
        print(f"{PROG}: stopped {len(stopped)} servers (ports {ports}); removed {DEMO_DIR}")
    elif removed:
        print(f"{PROG}: no demo server was running; removed {DEMO_DIR}")
    else:
        print(f"{PROG}: no demo running")


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise DemoError(message)


def port_number(text):
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return port


def port_pair(text):
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two ports as N,N: {text!r}")
    return [port_number(part) for part in parts]


def main(argv):
    parser = Parser(prog=PROG, description="mod_provauth next to stock mod_ssl.")
    sub = parser.add_subparsers(dest="command")
    for name in ("start", "check"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--port", type=port_number,
                         help="mod_provauth's port (default: a free one)")
        cmd.add_argument("--stock-ports", type=port_pair, metavar="N,N",
                         help="the two stock servers' ports (default: free ones)")
        cmd.add_argument("--module", default=MODULE, help=argparse.SUPPRESS)
    sub.add_parser("stop")
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["start"] + list(argv)
    args = parser.parse_args(argv)
    if args.command != "check" and os.geteuid() != 0:
        raise DemoError("run it as root (apache2 starts as root, serves as www-data)")
    try:
        {"start": start, "check": check, "stop": stop}[args.command](args)
    except KeyboardInterrupt:
        raise DemoError(f"interrupted; `{stop_command()}` stops whatever is left") from None


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except DemoError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        sys.exit(1)
