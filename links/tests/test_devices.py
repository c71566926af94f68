import pytest

from links.devices import classify
from links.models import Platform
from links.tests import user_agents as ua

TABLE = [
    *[(name, s, Platform.IOS) for name, s in ua.IOS.items()],
    *[(name, s, Platform.MAC_OR_IPAD) for name, s in ua.MAC_OR_IPAD.items()],
    *[(name, s, Platform.ANDROID) for name, s in ua.ANDROID.items()],
    *[(name, s, Platform.OTHER) for name, s in ua.NO_PLAY_STORE.items()],
    *[(name, s, Platform.DESKTOP) for name, s in ua.DESKTOP.items()],
]


@pytest.mark.parametrize(("name", "user_agent", "platform"), TABLE, ids=[row[0] for row in TABLE])
def test_browsers_are_people_on_their_platform(name: str, user_agent: str, platform: str) -> None:
    visit = classify(user_agent)
    assert not visit.is_bot
    assert visit.platform == platform


@pytest.mark.parametrize("user_agent", list(ua.BOTS.values()), ids=list(ua.BOTS))
def test_preview_fetchers_and_crawlers_are_bots(user_agent: str) -> None:
    assert classify(user_agent).is_bot


def test_in_app_browser_is_recorded_as_its_app() -> None:
    assert classify(ua.IOS["Instagram on iOS"]).browser == "Instagram"


def test_a_phone_brand_with_bot_in_its_name_is_a_person() -> None:
    visit = classify("Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "Chrome/126.0.0.0 Mobile Safari/537.36")
    assert (visit.is_bot, visit.platform) == (False, Platform.ANDROID)


@pytest.mark.parametrize("junk", ["\x00\xff", "a" * 5000, "(((((", "Mozilla/5.0 (compatible; MSIE"])
def test_junk_user_agents_never_raise(junk: str) -> None:
    classify(junk)
