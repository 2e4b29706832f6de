"""Issue 14, bug 1: articles in scripts without spaces are articles, a short question is not."""

from __future__ import annotations

import pytest

from bot.core.text_size import is_a_remark, word_count
from tests.support.bot_api_server import BOT_USERNAME
from tests.support.bot_harness import GROUP_CHAT, PRIVATE_CHAT, BotEnv
from tests.support.telegram_html import parse_telegram_html

JAPANESE = (
    "東京都は火曜日、市内中心部の新しい交通計画を発表した。"
    "バスと路面電車は朝夕のラッシュ時に五分ごとに運行される。"
    "市長はこの計画が地域の気候保護にとって重要な一歩だと述べた。"
    "野党は財源がまだ確保されていないと批判した。"
    "商店街の店主たちは駐車場が減ることで客が減ると心配している。"
    "市は秋までに新しい自転車道を整備する予定だ。"
)
CHINESE = (
    "市议会周二以多数票通过了市中心新的交通方案。"
    "今后公共汽车和有轨电车在高峰时段每五分钟一班。"
    "市长表示这是本地区保护气候的重要一步。"
    "反对派批评说资金还没有得到保障。"
    "老城区的商户担心停车位减少会导致顾客变少。"
    "市政府计划在秋季之前修建更多自行车道。"
)
THAI = (
    "สภาเมืองอนุมัติแผนการจราจรใหม่สำหรับใจกลางเมืองเมื่อวันอังคาร "
    "รถโดยสารและรถรางจะวิ่งทุกห้านาทีในช่วงเวลาเร่งด่วน "
    "นายกเทศมนตรีกล่าวว่าแผนนี้เป็นก้าวสำคัญในการปกป้องสภาพภูมิอากาศของภูมิภาค "
    "ฝ่ายค้านวิจารณ์ว่ายังไม่มีการจัดหางบประมาณอย่างแน่นอน "
    "พ่อค้าในเมืองเก่ากังวลว่าลูกค้าจะลดลงเมื่อที่จอดรถหายไป "
    "เมืองมีแผนจะสร้างทางจักรยานเพิ่มเติมภายในฤดูใบไม้ร่วง"
)
KOREAN = (
    "시의회는 화요일 도심을 위한 새로운 교통 계획을 압도적인 다수로 통과시켰다. "
    "앞으로 버스와 전차는 출퇴근 시간에 5분마다 운행된다. "
    "시장은 이 계획이 지역의 기후 보호를 위한 중요한 한 걸음이라고 말했다. "
    "야당은 재원이 아직 확보되지 않았다고 비판했다. "
    "구시가지의 상인들은 주차 공간이 줄어들면 손님이 줄어들까 걱정한다. "
    "시는 가을까지 자전거 도로를 추가로 만들 계획이다."
)
ARTICLES = {"ja": JAPANESE, "zh": CHINESE, "th": THAI, "ko": KOREAN}
HINT = "Send me a link to an article, a longer text"
MENTION_HINT = "Reply to a message with /summarize"


@pytest.mark.parametrize("code", sorted(ARTICLES))
def test_articles_in_every_script_are_long_enough(code: str) -> None:
    article = ARTICLES[code]
    assert word_count(article) >= 40, code
    assert not is_a_remark(article, 5)
    first_sentence = article.split("。")[0] if code in ("ja", "zh") else article.split(" ")[0]
    assert word_count(first_sentence) < word_count(article)


@pytest.mark.parametrize(
    "remark",
    ["Wie funktioniert das hier?", "hallo", "こんにちは", "你好", "สวัสดีครับ", "안녕하세요", "👍"],
)
def test_greetings_and_short_questions_are_remarks(remark: str) -> None:
    assert is_a_remark(remark, 3)


@pytest.mark.parametrize("code", sorted(ARTICLES))
async def test_a_pasted_article_in_any_script_is_summarized(env: BotEnv, code: str) -> None:
    reply = await env.ask_one(PRIVATE_CHAT, ARTICLES[code])
    visible = parse_telegram_html(reply.text or "")
    assert HINT not in visible, (code, visible)
    assert "Source language:" in visible or "which I can't translate" in visible, visible


@pytest.mark.parametrize("code", sorted(ARTICLES))
async def test_a_mentioned_article_in_any_script_is_summarized(env: BotEnv, code: str) -> None:
    reply = await env.ask_one(GROUP_CHAT, f"@{BOT_USERNAME} {ARTICLES[code]}")
    visible = parse_telegram_html(reply.text or "")
    assert MENTION_HINT not in visible, (code, visible)


async def test_a_four_word_question_gets_the_how_to_not_a_summary(env: BotEnv) -> None:
    reply = await env.ask_one(PRIVATE_CHAT, "Wie funktioniert das hier?")
    assert parse_telegram_html(reply.text or "").startswith(HINT)
    mention = await env.ask_one(GROUP_CHAT, f"@{BOT_USERNAME} Wie funktioniert das hier?")
    assert MENTION_HINT in parse_telegram_html(mention.text or "")
