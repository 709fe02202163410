"""The httpd instance of the sub-request, internal-redirect and WebDAV tests
(test_500-519): every way httpd or mod_dav reaches a second URI inside one
request, each in a directory of its own under `Require provauth-mac`."""
import os
import shutil

from conftest import COMMON, tls_vhost
from httpd import RUN_USER, make_world_readable

SUBREQ_MODULES = ["dav", "dav_fs", "rewrite", "dir", "negotiation", "include"]

VICTIM = "0004f2000001"        # pki device "valid"
ATTACKER = "0004f20000aa"      # pki device "attacker"
EXPIRED = "0004f2000002"       # pki device "expired" (vendor-issued, expired)

SUBREQ_DIRS = r"""
    DavLockDB {root}/dav/lockdb
    # Phones upload and read back <MAC>-phone.cfg (the documented setup).
    <Directory {root}/htdocs/logs>
        Dav On
        Require provauth-mac
    </Directory>
    # One collection per device.
    <Directory {root}/htdocs/davtree>
        Dav On
        Require provauth-mac path
    </Directory>
    # Any trusted device may write here: a COPY from here lands elsewhere.
    <Directory {root}/htdocs/davopen>
        Dav On
        Require provauth-device
    </Directory>
    # Server-side includes in an upload directory.
    <Directory {root}/htdocs/ssi>
        Dav On
        Options +Includes
        AddOutputFilter INCLUDES .shtml
        Require provauth-mac
    </Directory>
    # A per-directory rewrite: an internal redirect in the same directory.
    <Directory {root}/htdocs/rw>
        RewriteEngine On
        RewriteCond %{{QUERY_STRING}} ^file=([^&]+)$
        RewriteRule ^[0-9a-f]{{12}}\.latest$ %1 [L]
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/err>
        ErrorDocument 404 /err/0004f2000001.cfg
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/idx>
        DirectoryIndex phone.cfg /idx/0004f2000001/phone.cfg
        Require provauth-mac path
    </Directory>
    <Directory {root}/htdocs/mv>
        Options +MultiViews
        AddType text/plain .cfg
        Require provauth-mac
    </Directory>
    <Directory {root}/htdocs/mvmap>
        Options +MultiViews
        AddType text/plain .cfg
        AddHandler type-map .var
        Require provauth-mac
    </Directory>
    # Pages for people, not phones.
    <Directory {root}/htdocs/notdev>
        <RequireAll>
            Require all granted
            Require not provauth-device
        </RequireAll>
    </Directory>
    # A block list: every phone its own file, except the listed ones.
    <Directory {root}/htdocs/blocked>
        <RequireAll>
            Require provauth-mac
            Require not provauth-allowlist {root}/allowlist.txt
        </RequireAll>
    </Directory>
    <Directory {root}/htdocs/blocknone>
        <RequireAll>
            Require provauth-mac
            <RequireNone>
                Require provauth-allowlist {root}/allowlist.txt
            </RequireNone>
        </RequireAll>
    </Directory>"""

# A server-level rewrite: translate_name, before authorization.
SUBREQ_VHOST = r"""
    ProvAuthAcceptExpired On
    ProvAuthIntermediateFile {intermediates}
    RewriteEngine On
    RewriteRule ^/pt/[0-9a-f]{{12}}/(.*)$ /rw/$1 [PT]"""


def subreq_body(pki, ports):
    body = COMMON + f"Listen 127.0.0.1:{{{'sub'}}}\n"
    extra = SUBREQ_VHOST.replace("{intermediates}", pki.path("all-intermediates.pem"))
    return body + tls_vhost(pki, "sub", "optional_no_ca", extra, SUBREQ_DIRS)


SUBREQ_FILES = {
    "rw": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "err": [VICTIM + ".cfg"],
    f"idx/{VICTIM}": ["phone.cfg"],
    f"idx/{EXPIRED}": ["phone.cfg"],
    f"idx/{ATTACKER}": [],
    "mv": [VICTIM + ".cfg", ATTACKER + ".cfg"],
    "mvmap": [VICTIM + ".cfg"],
    "notdev": ["page.html"],
    "blocked": [VICTIM + ".cfg", ATTACKER + ".cfg", "0004f200000d.cfg"],
    "blocknone": [VICTIM + ".cfg", ATTACKER + ".cfg"],
}
WRITABLE = ["logs", "davtree", "davopen", "ssi"]


def subreq_files(root):
    htdocs = os.path.join(root, "htdocs")
    for directory, names in SUBREQ_FILES.items():
        os.makedirs(os.path.join(htdocs, directory), exist_ok=True)
        for name in names:
            with open(os.path.join(htdocs, directory, name), "w") as out:
                out.write(f"secret of {directory}/{name}\n")
    # A type map of the attacker's name whose only variant is the victim's file.
    with open(os.path.join(htdocs, "mvmap", ATTACKER + ".var"), "w") as out:
        out.write(f"URI: {VICTIM}.cfg\nContent-Type: text/plain\n\n")
    for directory in WRITABLE:
        path = os.path.join(htdocs, directory)
        os.makedirs(path, exist_ok=True)
        shutil.chown(path, user=RUN_USER, group=RUN_USER)
    make_world_readable(htdocs)
    for directory, _, files in os.walk(htdocs):
        for name in files:
            os.chmod(os.path.join(directory, name), 0o644)
