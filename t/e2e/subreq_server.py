"""The httpd instance of the sub-request, internal-redirect and WebDAV tests
(test_500-519): every way httpd or mod_dav reaches a second URI inside one
request, each in a directory of its own under `Require provauth-mac`."""
from conftest import tls_vhost
from device_tree import ATTACKER, EXPIRED, VICTIM, common_body, dav_dirs, write_tree

SUBREQ_MODULES = ["dav", "dav_fs", "rewrite", "dir", "negotiation", "include"]

SUBREQ_DIRS = dav_dirs("logs") + r"""
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
    body = common_body(ports)
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
    # A type map of the attacker's name whose only variant is the victim's file.
    type_map = f"URI: {VICTIM}.cfg\nContent-Type: text/plain\n\n"
    write_tree(root, SUBREQ_FILES, WRITABLE, {f"mvmap/{ATTACKER}.var": type_map})
