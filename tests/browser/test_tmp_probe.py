import pytest
from .conftest import sign_in
from .test_print import printed_case  # noqa
pytestmark = pytest.mark.browser
def test_probe(page, live_server, printed_case):
    sign_in(page, live_server.url, "reviewer")
    page.goto(f"{live_server.url}/tinjau/{printed_case['id']}/cetak")
    page.screenshot(path="/tmp/screen-phone.png", full_page=False)
    page.goto(f"{live_server.url}/tinjau/{printed_case['id']}")
    page.screenshot(path="/tmp/show-phone.png", full_page=False)
    page.goto(f"{live_server.url}/tinjau/?status=")
    page.screenshot(path="/tmp/queue-phone.png", full_page=False)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{live_server.url}/tinjau/{printed_case['id']}/cetak")
    page.screenshot(path="/tmp/screen-desk.png", full_page=False)
