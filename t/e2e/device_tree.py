"""What the instances of their own of the sub-request tests (test_500-519,
subreq_server.py) and of the attacker's-view review (test_950-969,
attack_server.py) share: the devices that play victim and attacker, the
start of their configuration, and the tree of per-device files they serve."""
import os
import shutil

from conftest import COMMON
from httpd import RUN_USER, make_world_readable

VICTIM = "0004f2000001"        # pki device "valid"
ATTACKER = "0004f20000aa"      # pki device "attacker"
EXPIRED = "0004f2000002"       # pki device "expired" (vendor-issued, expired)


def secret(path):
    """What the test tree holds in a file."""
    return f"secret of {path}\n".encode()


def common_body(ports):
    """The configuration before the virtual hosts: the suite's common part
    and a Listen line for each port of the instance."""
    return COMMON + "".join(f"Listen 127.0.0.1:{{{key}}}\n" for key in ports)


def dav_dirs(upload):
    """mod_dav's lock database and its two documented setups: htdocs/<upload>,
    where phones PUT and read back <MAC>-phone.cfg, and htdocs/davtree, one
    collection per device.  Directives for inside a virtual host."""
    return f"""
    DavLockDB {{root}}/dav/lockdb
    # Phones upload and read back <MAC>-phone.cfg (the documented setup).
    <Directory {{root}}/htdocs/{upload}>
        Dav On
        Require provauth-mac
    </Directory>
    # One collection per device.
    <Directory {{root}}/htdocs/davtree>
        Dav On
        Require provauth-mac path
    </Directory>"""


def write_tree(root, files, writable, extra=None):
    """Under root/htdocs: each directory of `files` with the files it names,
    each holding secret("directory/name"); the `extra` files (path under
    htdocs: text) as given; the `writable` directories owned by the user
    httpd's children run as (mod_dav writes there); the whole tree readable
    by that user."""
    htdocs = os.path.join(root, "htdocs")
    for directory, names in files.items():
        os.makedirs(os.path.join(htdocs, directory), exist_ok=True)
        for name in names:
            with open(os.path.join(htdocs, directory, name), "wb") as out:
                out.write(secret(f"{directory}/{name}"))
    for path, text in (extra or {}).items():
        with open(os.path.join(htdocs, path), "w") as out:
            out.write(text)
    for directory in writable:
        path = os.path.join(htdocs, directory)
        os.makedirs(path, exist_ok=True)
        shutil.chown(path, user=RUN_USER, group=RUN_USER)
    make_world_readable(htdocs)
    for directory, dirs, names in os.walk(htdocs):
        for name in dirs:
            os.chmod(os.path.join(directory, name), 0o755)
        for name in names:
            os.chmod(os.path.join(directory, name), 0o644)
