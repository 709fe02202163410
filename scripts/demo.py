"""Demo driver: PKI, two real httpd instances, and the device table.
Reuses the end-to-end suite's PKI, httpd and client helpers."""
import os
import shutil
import sys
import warnings

warnings.filterwarnings("ignore", message="SHA1 signatures are deprecated")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "t", "e2e"))

from clients import get  # noqa: E402
from httpd import BASE_MODULES, Httpd, make_world_readable  # noqa: E402
from pki import Pki  # noqa: E402

DEMO_DIR = os.environ.get("PROVAUTH_DEMO_DIR", "/var/tmp/provauth-demo")
MODULE = os.path.join(HERE, "..", ".libs", "mod_provauth.so")
PORT, STOCK_PORT = 8443, 8444

# (device certificate, what it is, file it asks for)
REQUESTS = [
    ("valid", "factory certificate, in date", "0004f2000001.cfg"),
    ("expired", "factory certificate, expired 2024", "0004f2000002.cfg"),
    ("oldca", "in date, issuing CA expired", "0004f200000b.cfg"),
    ("notyet", "not valid yet (clock skew)", "0004f2000003.cfg"),
    ("attacker", "genuine phone 0004f20000aa", "0004f2000001.cfg"),
    ("attacker", "genuine phone 0004f20000aa", "000000000000.cfg"),
    ("selfsigned-victim", "self-signed, CN = victim's MAC", "0004f2000001.cfg"),
    ("selfsigned", "self-signed, MAC CN", "0004f2000004.cfg"),
    ("wrongvendor", "issued by an untrusted vendor", "0004f2000006.cfg"),
    ("revoked", "revoked in the vendor CRL", "0004f2000008.cfg"),
    ("yealink", "Yealink phone in the Poly tree", "001565000010.cfg"),
    ("cn-empty", "vendor-issued, empty CN", "0004f2000001.cfg"),
    (None, "no client certificate", "000000000000.cfg"),
]

VHOST = """
Listen 127.0.0.1:{port}
<VirtualHost 127.0.0.1:{port}>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile {pki}/server.crt
    SSLCertificateKeyFile {pki}/server.key
    # Both vendors may complete the handshake; each directory pins its own.
    SSLCACertificateFile {pki}/vendor-roots.pem
    SSLVerifyClient optional_no_ca
    SSLVerifyDepth 5
{extra}
    Header always set X-Provauth-Status "%{{{{PROVAUTH_STATUS}}}}e"
    Header always set X-Provauth-Error "%{{{{PROVAUTH_ERROR}}}}e"
</VirtualHost>
"""

PROVAUTH_EXTRA = """    ProvAuthAcceptExpired On
    ProvAuthIntermediateFile {pki}/all-intermediates.pem
    <Directory {root}/htdocs/polycom>
        # Only Poly-issued phones, each only its own files ...
        ProvAuthCACertificateFile {pki}/poly-root.pem
        ProvAuthCRLFile {pki}/poly-crl.pem
        Require provauth-mac
        # ... and the shared file to any Poly phone.
        <Files "000000000000.cfg">
            Require provauth-device
        </Files>
    </Directory>"""


def servers(pki_dir):
    def make(name, port, module, extra):
        root = os.path.join(DEMO_DIR, name)
        body = ("<Directory {root}/htdocs>\n    Require all granted\n"
                "    Options -Indexes\n</Directory>\n"
                + VHOST.format(port=port, pki=pki_dir, extra=extra.format(
                    pki=pki_dir, root="{root}")))
        return Httpd(root, body, module=module, ports={"https": port},
                     modules=BASE_MODULES)
    return (make("provauth", PORT, os.path.abspath(MODULE), PROVAUTH_EXTRA),
            make("stock", STOCK_PORT, None, ""))


def describe(reply):
    if reply.rejected:
        return "handshake refused"
    status = reply.headers.get("x-provauth-status", "")
    error = reply.headers.get("x-provauth-error", "")
    text = f"{reply.status}"
    if status and status != "(null)":
        text += f" {status}"
    if error and error != "(null)":
        text += f" ({error})"
    return text


def start():
    stop(quiet=True)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    os.makedirs(DEMO_DIR)
    make_world_readable(DEMO_DIR)
    pki = Pki(os.path.join(DEMO_DIR, "pki"))
    for server in servers(pki.dir):
        tree = os.path.join(server.root, "htdocs", "polycom")
        os.makedirs(tree, exist_ok=True)
        for _, _, name in REQUESTS:
            with open(os.path.join(tree, name), "w") as out:
                out.write(f"<!-- {name} -->\n")
        make_world_readable(tree)
        server.start()

    rows = [("device", "certificate", "request", "mod_provauth :8443", "stock mod_ssl :8444")]
    for device, what, name in REQUESTS:
        path = f"/polycom/{name}"
        rows.append((device or "-", what, f"GET {path}",
                     describe(get(pki, PORT, path, device)),
                     describe(get(pki, STOCK_PORT, path, device))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(f"""
Stock mod_ssl refuses the expired phones at the handshake and, under
optional_no_ca, serves everything else to anyone, including another phone's
file and a self-signed certificate carrying a victim's MAC. mod_provauth
serves expired phones their own files and refuses the rest with a reason.

Try it:
  curl --cacert {pki.path('server-ca.pem')} \\
       --cert {pki.chain('expired')} --key {pki.key} \\
       https://localhost:{PORT}/polycom/0004f2000002.cfg
Logs:   {DEMO_DIR}/provauth/error.log
Config: {DEMO_DIR}/provauth/httpd.conf
Stop:   scripts/demo stop""")


def stop(quiet=False):
    for server in servers(os.path.join(DEMO_DIR, "pki")):
        if os.path.exists(os.path.join(server.root, "httpd.pid")):
            server.stop()
            if not quiet:
                print(f"stopped {server.root}")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1] if len(sys.argv) > 1 else "start"]()
