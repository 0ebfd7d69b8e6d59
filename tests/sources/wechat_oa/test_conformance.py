"""The ``wechat_oa`` source keeps the connector contract, like any third-party plugin."""

from __future__ import annotations

from junction.plugins.manager import load_plugins
from junction.plugins.testing import ConformanceCase, conformance_suite
from junction.sources.wechat_oa import WechatOaSource
from tests.fakes.wechat_oa import FakeWechat

from .conftest import AES_KEY, APP_ID, APP_SECRET, CALLBACK_TOKEN, TAGS, followers

CONFIG = {
    "app_id": APP_ID,
    "app_secret": APP_SECRET,
    "callback_token": CALLBACK_TOKEN,
    "encoding_aes_key": AES_KEY,
    "message_mode": "safe",
    "api_base_url": "https://wechat.test",
}

TestConformance = conformance_suite(
    ConformanceCase(
        connector=WechatOaSource,
        valid_config=CONFIG,
        bad_credentials_config={**CONFIG, "app_secret": "wrongAppSecret0987654321"},
        # Pages of 40 followers: the kit reads several pages and resumes from the last.
        transport_factory=lambda: FakeWechat(
            app_id=APP_ID, app_secret=APP_SECRET, followers=followers(130), tags=TAGS, page_size=40
        ).transport(),
    )
)


def test_it_registers_the_connector_and_its_callback_route() -> None:
    plugins = load_plugins(builtins=("junction.sources.wechat_oa",), entry_points=False)
    assert plugins.connector("wechat_oa") is WechatOaSource
    paths = {path for handler in plugins.routes() for path in handler.paths}
    assert paths == {"/hooks/wechat_oa/{connection:str}"}
    (info,) = plugins.catalog()
    assert info.capabilities == ("pull", "receive")
