"""The status page shows each time to the minute, "2026-11-30 07:13Z", the
same instant the registry's JSON gives to the second; "-" where there is
none (a device never denied)."""
import re

import pytest

from fleet import MIX, MIX_LOG, FleetServer

PAGE_TIME = re.compile(r'<td class="t">([^<]*)</td>')


@pytest.fixture(scope="module")
def fleet(workdir, pki):
    server = FleetServer(workdir, pki, "fleet-times").start()
    server.send_mix(MIX)
    server.wait_for(lambda doc: len(doc["devices"]) >= len(MIX))
    yield server
    server.stop()


@pytest.fixture
def expect_log():
    return list(MIX_LOG)


def to_minute(iso):
    """'2026-11-30T07:13:42Z' as the page writes it."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", iso), iso
    return f"{iso[:10]} {iso[11:16]}Z"


def test_page_times_are_the_registry_times_to_the_minute(fleet):
    doc = fleet.registry()
    page = fleet.get("/provauth-status")
    shown = PAGE_TIME.findall(page)
    assert shown, page[-2000:]
    for text in shown:
        assert text == "-" or re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\dZ", text), text
    # Every denial of the mix is on the page (the last 7 days); expiry
    # dates only for the devices expired or expiring soon.
    denied = {to_minute(d["last_denied"]) for d in doc["devices"] if d.get("last_denied")}
    expiry = {to_minute(d["not_after"]) for d in doc["devices"] if d.get("not_after")}
    assert denied and denied <= set(shown), (denied, shown)
    assert set(shown) - {"-"} <= denied | expiry, (shown, denied, expiry)
