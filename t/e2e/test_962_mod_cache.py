"""mod_cache's quick handler answers from the cache before any
authorization (CacheQuickHandler On, httpd's default).  A per-device file
stored there after its phone fetched it would be served to any client that
asks for the same URL: another phone, an untrusted certificate, or none.
The module keeps what a Require provauth-* line decided out of the cache
(r->no_cache), for all three providers; the controls show that the cache
is active in this very setup (an unprotected file is answered from it)."""
import os
import time

import pytest

import slips
from clients import get

VICTIM = "0004f2000001"      # the valid phone's MAC
ATTACKER = "0004f20000aa"    # another genuine phone

CACHE = "\n".join(["    CacheQuickHandler On",
                   "    CacheEnable socache /",
                   "    CacheSocache shmcb",
                   "    CacheHeader on",
                   "    CacheIgnoreNoLastMod On",
                   "    CacheDefaultExpire 600",
                   "    ProvAuthAcceptExpired On"])
DIRS = (slips.directory("cfg", "Require provauth-mac")
        + slips.directory("fw", "Require provauth-device")
        + slips.directory("listed", "Require provauth-allowlist {root}/allow.txt")
        + slips.directory("public", "Require all granted"))
FILES = [f"cfg/{VICTIM}.cfg", "fw/firmware.bin", "listed/directory.xml", "public/shared.cfg"]
MODULES = slips.BASE_MODULES + ["cache", "cache_socache"]


def start_cached(workdir, pki, name, dirs, files, modules, extra=""):
    """A TLS virtual host (port "cache") behind mod_cache's quick handler,
    its files changed ten days ago: fresh for a day by mod_cache's
    heuristic (a tenth of their age, at most CacheMaxExpire), so a stored
    answer is served as it is, not revalidated through the normal request
    path."""
    config = (CACHE + extra
              + f"\n    ProvAuthIntermediateFile {pki.path('all-intermediates.pem')}")
    server = slips.start(workdir, name,
                         slips.vhost(pki, "cache", "optional_no_ca", config, dirs),
                         ["cache"], files=files, modules=modules)
    past = time.time() - 10 * 86400
    for rel in files:
        os.utime(os.path.join(server.root, "htdocs", rel), (past, past))
    return server


@pytest.fixture(scope="module")
def cache_httpd(workdir, pki):
    root = os.path.join(workdir, "modcache")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "allow.txt"), "w") as out:
        out.write(f"{VICTIM}\n")
    server = start_cached(workdir, pki, "modcache", DIRS, FILES, MODULES)
    yield server
    slips.stop(server)


@pytest.fixture
def refusals(expect_log):
    expect_log.extend(slips.REFUSAL_NOISE)


def fetch(pki, server, path, device):
    return get(pki, server.ports["cache"], path, device)


def test_the_cache_is_active_here(pki, cache_httpd):
    """Control: an unprotected file is stored and then answered from the
    cache (mod_cache's X-Cache header says which)."""
    first = fetch(pki, cache_httpd, "/public/shared.cfg", "valid")
    second = fetch(pki, cache_httpd, "/public/shared.cfg", None)
    assert first.status == 200 and second.status == 200, (first, second)
    assert second.headers.get("x-cache", "").startswith("HIT"), str(second)


@pytest.mark.parametrize("path, others", [
    (f"/cfg/{VICTIM}.cfg", ["attacker", "selfsigned-victim", None]),
    ("/fw/firmware.bin", ["selfsigned", "wrongvendor", None]),
    ("/listed/directory.xml", ["attacker", "selfsigned-victim", None]),
])
def test_a_protected_answer_is_never_served_from_the_cache(
        pki, cache_httpd, refusals, path, others):
    for _ in range(2):   # a second fetch would be the one stored, if any
        own = fetch(pki, cache_httpd, path, "valid")
        assert own.status == 200, f"{path}: {own}"
        assert not own.headers.get("x-cache", "").startswith("HIT"), f"{path}: {own}"
    for device in others:
        reply = fetch(pki, cache_httpd, path, device)
        assert reply.status == 403, f"{path} as {device}: {reply}"
