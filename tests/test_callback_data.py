"""Callback payloads: every action round-trips; anything forged, tampered or foreign is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.callback_data import (
    ACTIONS,
    MAX_BYTES,
    CallbackCodec,
    CallbackPayload,
    InvalidCallback,
    channel_target,
    derive_secret,
    for_channel,
)

CHAT = -1001234567890
SECRET = derive_secret("123456:TEST-token")

EXAMPLES = {
    "nav": ("langs",),
    "lang": ("fr",),
    "len": ("10",),
    "algo": ("lexrank",),
    "mode": ("mention",),
    "src": (),
    "done": (),
    "full": ("fra", "Zr9_x-0123456789abcdefAB"),  # longest language and result id
    "orig": ("42",),
    "short": ("a1",),
    "long": ("job-7",),
    "feed": ("unfollow", "999999999999"),  # longest operation and feed id
    "cfeed": ("unfollow", "999999999999", "-1009999999999999"),  # and longest channel id
    "chan": ("-1009999999999999", "mode", "mention"),  # longest channel id and argument
}


@pytest.fixture
def codec() -> CallbackCodec:
    return CallbackCodec(SECRET)


def test_examples_cover_every_declared_action() -> None:
    assert set(EXAMPLES) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(EXAMPLES))
def test_round_trip_within_64_bytes(codec: CallbackCodec, action: str) -> None:
    payload = CallbackPayload(action, EXAMPLES[action])
    data = codec.encode(payload, CHAT)
    assert len(data.encode("utf-8")) <= MAX_BYTES
    assert codec.decode(data, CHAT) == payload


def test_a_channel_payload_carries_a_settings_action_checked_like_any_other() -> None:
    for inner in (CallbackPayload("done"), CallbackPayload("lang", ("fr",))):
        assert channel_target(for_channel(-1001, inner)) == (-1001, inner)
    for bad in (
        CallbackPayload("chan", ("-1001", "lang", "FR")),
        CallbackPayload("chan", ("-1001", "len", "3")),  # not a channel setting
        CallbackPayload("chan", ("-1001", "mode", "always")),
        CallbackPayload("chan", ("-1001", "done", "now")),
        CallbackPayload("chan", ("1001", "done", "-")),  # not a channel id
        CallbackPayload("nav", ("main",)),
    ):
        with pytest.raises(InvalidCallback):
            channel_target(bad)


def test_every_length_from_one_to_ten_is_accepted(codec: CallbackCodec) -> None:
    for n in range(1, 11):
        payload = CallbackPayload("len", (str(n),))
        assert codec.decode(codec.encode(payload, CHAT), CHAT) == payload


@pytest.mark.parametrize(
    "payload",
    [
        CallbackPayload("rm", ("-rf",)),
        CallbackPayload("lang", ()),
        CallbackPayload("lang", ("fr", "de")),
        CallbackPayload("lang", ("FR",)),
        CallbackPayload("lang", ("f|r",)),
        CallbackPayload("len", ("0",)),
        CallbackPayload("len", ("51",)),
        CallbackPayload("len", ("03",)),
        CallbackPayload("algo", ("gpt",)),
        CallbackPayload("mode", ("always",)),
        CallbackPayload("nav", ("admin",)),
        CallbackPayload("orig", ("x" * 25,)),
        CallbackPayload("done", ("now",)),
    ],
)
def test_encode_refuses_payloads_outside_the_table(
    codec: CallbackCodec, payload: CallbackPayload
) -> None:
    with pytest.raises(InvalidCallback):
        codec.encode(payload, CHAT)


def test_changing_any_single_byte_is_refused(codec: CallbackCodec) -> None:
    for payload in (CallbackPayload(a, args) for a, args in EXAMPLES.items()):
        data = codec.encode(payload, CHAT)
        for index in range(len(data)):
            for replacement in {"a", "Z", "0", "|", "_"} - {data[index]}:
                forged = data[:index] + replacement + data[index + 1 :]
                with pytest.raises(InvalidCallback):
                    codec.decode(forged, CHAT)
        for cut in range(len(data)):
            with pytest.raises(InvalidCallback):
                codec.decode(data[:cut], CHAT)


def test_button_copied_to_another_chat_is_refused(codec: CallbackCodec) -> None:
    data = codec.encode(CallbackPayload("mode", ("off",)), CHAT)
    for other in (CHAT + 1, -CHAT, 0, 1234):
        with pytest.raises(InvalidCallback):
            codec.decode(data, other)


def test_another_secret_is_refused(codec: CallbackCodec) -> None:
    data = codec.encode(CallbackPayload("src"), CHAT)
    with pytest.raises(InvalidCallback):
        CallbackCodec(derive_secret("654321:OTHER")).decode(data, CHAT)


def test_tag_for_a_different_action_cannot_be_reused(codec: CallbackCodec) -> None:
    harmless = codec.encode(CallbackPayload("nav", ("main",)), CHAT)
    tag = harmless.rsplit("|", 1)[1]
    with pytest.raises(InvalidCallback):
        codec.decode(f"mode|off|{tag}", CHAT)


def test_overlong_and_non_text_data_are_refused(codec: CallbackCodec) -> None:
    valid = codec.encode(CallbackPayload("done"), CHAT)
    for data in (valid + "x" * (MAX_BYTES - len(valid) + 1), "é" * 33, "\ud800|x", ""):
        with pytest.raises(InvalidCallback):
            codec.decode(data, CHAT)
    with pytest.raises(InvalidCallback):
        codec.decode(None, CHAT)  # type: ignore[arg-type]


def test_unknown_action_with_a_valid_looking_tag_is_refused(codec: CallbackCodec) -> None:
    # Even a correctly signed string is refused when its action is not in the table.
    forged = "exec|" + codec._tag(CHAT, ["exec"])
    with pytest.raises(InvalidCallback, match="unknown action"):
        codec.decode(forged, CHAT)


def test_secret_must_not_be_trivial() -> None:
    with pytest.raises(ValueError):
        CallbackCodec(b"short")


def test_derived_secret_is_stable_and_not_the_token() -> None:
    token = "123456:TEST-token"
    assert derive_secret(token) == derive_secret(token)
    assert token.encode() not in derive_secret(token)
    assert derive_secret(token) != derive_secret(token + "x")


@settings(max_examples=300, deadline=None)
@given(data=st.text(max_size=80) | st.from_regex(r"[a-z]{2,5}\|[a-z0-9|]{0,10}\|[A-Za-z0-9_-]{16}"))
def test_random_strings_never_decode(data: str) -> None:
    codec = CallbackCodec(SECRET)
    with pytest.raises(InvalidCallback):
        codec.decode(data, CHAT)


@settings(max_examples=200, deadline=None)
@given(
    action=st.sampled_from(sorted(EXAMPLES)),
    chat=st.integers(min_value=-(10**13), max_value=10**13),
    flip=st.integers(min_value=0, max_value=63),
    bit=st.integers(min_value=0, max_value=6),
)
def test_bit_flips_never_decode(action: str, chat: int, flip: int, bit: int) -> None:
    codec = CallbackCodec(SECRET)
    data = codec.encode(CallbackPayload(action, EXAMPLES[action]), chat)
    index = flip % len(data)
    forged = data[:index] + chr(ord(data[index]) ^ (1 << bit)) + data[index + 1 :]
    with pytest.raises(InvalidCallback):
        codec.decode(forged, chat)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (CallbackPayload("nope", ()), "unknown action"),
        (CallbackPayload("len", ()), "wrong number of arguments"),
        (CallbackPayload("len", ("3", "4")), "wrong number of arguments"),
        (CallbackPayload("len", ("x",)), "malformed argument"),
        (CallbackPayload("mode", ("sometimes",)), "malformed argument"),
        (CallbackPayload("algo", ("magic",)), "malformed argument"),
    ],
)
def test_invalid_payloads_say_why(
    codec: CallbackCodec, payload: CallbackPayload, reason: str
) -> None:
    """The reason is what the bot logs when it refuses a button."""
    with pytest.raises(InvalidCallback) as refused:
        codec.encode(payload, CHAT)
    assert str(refused.value) == reason


def test_the_secret_is_stable_across_releases() -> None:
    """Buttons under old messages keep working after a restart or upgrade only if the key
    derived from the token stays the same."""
    assert SECRET.hex() == "52c02f6683e1d55401e9878e9a3bdc45e99ce4b0bea6a842eaa76b558375e268"
    assert derive_secret("123456:OTHER-token") != SECRET


def test_decoding_says_why_it_refuses(codec: CallbackCodec) -> None:
    forged64 = "len|3|" + "A" * (MAX_BYTES - 6)
    assert len(forged64.encode()) == MAX_BYTES
    cases = [
        ("x" * (MAX_BYTES + 1), "callback data exceeds 64 bytes"),
        (forged64, "bad tag"),  # 64 bytes is allowed: the tag decides
        ("", "no action"),
        ("\ud800", "callback data is not valid text"),
    ]
    for data, reason in cases:
        with pytest.raises(InvalidCallback) as refused:
            codec.decode(data, CHAT)
        assert str(refused.value) == reason, data


def test_the_secret_needs_16_bytes() -> None:
    CallbackCodec(b"k" * 16)
    with pytest.raises(ValueError, match=r"^the callback secret must have at least 16 bytes$"):
        CallbackCodec(b"k" * 15)
