"""The bot's own texts: English here, every other language in a gettext catalog.

Each message has a key (its gettext context) and an English text (the msgid); translations are
in ``bot/telegram/locales/<lang>/LC_MESSAGES/briefbot.po`` (see ``bot.telegram.catalogs``).
Every template is PLAIN TEXT with ``str.format`` placeholders: callers that send HTML escape the
result (``bot.telegram.formatting.render_text`` does it), so no template ever carries markup and a
placeholder filled with user input can never inject any. A test checks that every catalog has
every message with the same placeholders.
"""

from __future__ import annotations

from bot.telegram.catalogs import Plural, languages, translations

DEFAULT_UI = "en"

# Proper names and pure layout, identical in every language.
SHARED: dict[str, str] = {
    "settings.algorithm.lexrank": "LexRank",
    "settings.algorithm.lsa": "LSA",
    "settings.algorithm.luhn": "Luhn",
    "settings.algorithm.textrank": "TextRank",
    "settings.algorithm.sumbasic": "SumBasic",
    "settings.algorithm.kl": "KL-Sum",
    "languages.pair": "{source} → {target}",
    "stats.latency_line": "{stage}: {ms} ms",
    "models.line": "{source} → {target}: {name} {version}",
    "settings.option.selected": "✓ {label}",
    # -- feeds: layout of /feeds and its buttons ---------------------------------------------
    "feeds.line": "{number}. {title} — {mode}",
    "feeds.button.pause": "⏸ {number}",
    "feeds.button.resume": "▶️ {number}",
    "feeds.button.unfollow": "✖️ {number}",
    "feeds.button.mode": "⇄ {number}",
}

EN: dict[str, str] = {
    **SHARED,
    # -- /start and /help -----------------------------------------------------------------
    "start.welcome": (
        "Hi! I turn news articles into short summaries in your languages, translated right "
        "here on my own machine (no cloud service sees your text).\n\n"
        "Send me a link, paste a text, forward a channel post or send a .txt/.html/.md file. "
        "Your summary languages: {languages}. Change them with /settings; /help explains more."
    ),
    "start.group": (
        "Hi! I turn news articles shared here into short summaries in {languages}, "
        "translated on my own machine (no cloud service sees your texts). Mode: {mode}."
    ),
    "start.group_settings": (
        "Admins change languages, length and mode with /settings; /help explains more."
    ),
    "help.text": (
        "What I do: I pick the key sentences of an article and translate them into the "
        "languages you chose.\n\n"
        "Send me:\n"
        "• a link to an article\n"
        "• a pasted text\n"
        "• a forwarded channel post (text or caption)\n"
        "• a .txt, .html or .md file (up to {max_file})\n\n"
        "Commands:\n"
        "/summarize – summarize the message you reply to, or the text or link after the command\n"
        "/translate LANG – reply to a message to get its full translation, e.g. /translate en\n"
        "/languages – installed translation models and languages reachable via English\n"
        "/settings – summary languages, length, algorithm, group mode, source summary\n"
        "/help – this text\n\n"
        "Under each summary, buttons show the full translation, the original summary, or a "
        "shorter or longer version."
    ),
    "help.groups": (
        "In groups: reply to a message with /summarize or mention me. The group mode decides "
        "whether I also answer by myself: auto (links and long texts), mention (only when "
        "asked), off. Only group admins can change the settings."
    ),
    "help.limits": (
        "Limits: {max_chars} characters per text, {max_sentences} sentences per article, "
        "{max_file} per file, {per_user} requests per minute per user."
    ),
    # -- command menu (setMyCommands; Telegram allows 3-256 characters) ----------------------
    "command.start": "Start the bot",
    "command.help": "How to use the bot",
    "command.settings": "Languages, length and other settings",
    "command.summarize": "Summarize a message, text or link",
    "command.translate": "Full translation of the replied message: /translate LANG",
    "command.languages": "Installed languages and translation pairs",
    "command.stats": "Usage statistics (owners only)",
    "command.models": "Installed translation models (owners only)",
    # -- progress ------------------------------------------------------------------------------
    "progress.working": "Working on it…",
    "progress.queued": "Waiting in line (position {position})…",
    "progress.fetching": "Fetching the article…",
    "progress.reading_file": "Reading the file…",
    "progress.detecting": "Detecting the language…",
    "progress.summarizing": "Summarizing…",
    "progress.translating": "Translating to {languages}…",
    "progress.translating_full": "Translating the full text to {language}…",
    "progress.sending_document": "The translation is long; sending it as a file…",
    # -- errors (short: in groups they must not flood the chat) --------------------------------
    "error.empty": "The message is empty. Send me a link, a text or a file to summarize.",
    "error.unsupported_content": (
        "I can only read texts, links and .txt/.html/.md files, not this kind of message."
    ),
    "error.not_text_file": (
        "I can't read this file: send a UTF-8 text file (.txt, .html or .md), not {kind}."
    ),
    "error.binary_file": "This file looks binary, not like text. Send a .txt, .html or .md file.",
    "error.file_too_large": "The file is too large: the limit is {limit}.",
    "error.text_too_long": "The text is too long: the limit is {limit} characters.",
    "error.too_many_sentences": "The article has too many sentences: the limit is {limit}.",
    "error.no_sentences": "I found no sentences to summarize in this text.",
    "error.rate_limited_user": "You're sending too fast; try again in a minute.",
    "error.rate_limited_chat": "This chat is sending too fast; try again in a minute.",
    "error.busy": "I'm busy right now, try again in a minute.",
    "error.fetch_failed": "I couldn't fetch the article: {reason}",
    "error.link_refused": "I can't open this link: {reason}",
    # -- why a link could not be fetched (the {reason} above; translation.errors.FETCH_REASONS) --
    "fetch.not_found": "The page was not found (HTTP {status}).",
    "fetch.forbidden": "The site refused access to the page (HTTP {status}).",
    "fetch.rate_limited": "The site is limiting requests (HTTP {status}); try again later.",
    "fetch.server_error": "The site had a server error (HTTP {status}).",
    "fetch.http_error": "The site did not deliver the page (HTTP {status}).",
    "fetch.too_many_redirects": "The link redirects too often (more than {limit} times).",
    "fetch.invalid_url": "It is not a valid web address.",
    "fetch.scheme": "Only http and https links are supported.",
    "fetch.blocked": "Only public web pages are allowed.",
    "fetch.blocked_port": (
        "Port {port} is not used for web pages; only public web pages are allowed."
    ),
    "fetch.blocked_private": (
        "{host} is a private or local address; only public web pages are allowed."
    ),
    "fetch.port": "Only links to web pages on the usual web ports are allowed (not port {port}).",
    "fetch.not_a_page": "That link is not a web page or text (it is {content_type}).",
    "fetch.not_a_page_untyped": "The site did not say what kind of document this is.",
    "fetch.binary": "The page is binary data, not text.",
    "fetch.too_large": "The page is larger than {max_bytes}, the most I read.",
    "fetch.timeout": "The page took too long to load (limit: {seconds} s).",
    "fetch.too_slow": "The site sends the page too slowly, so I stopped reading it.",
    "fetch.dns": "Could not find the server {host}.",
    "fetch.connect": "Could not connect to {host}.",
    "fetch.connection": "The connection to {host} failed.",
    "fetch.compression": "The page's compressed data could not be read.",
    "error.unsupported_language": (
        "The text seems to be in {language}, which I can't translate yet."
    ),
    "error.language_uncertain": (
        "I can't tell which language this text is in. Please send a longer text."
    ),
    "error.missing_model": ("No translation model for {source}→{target}. Install: {packages}."),
    "error.model_broken": (
        "A translation model is broken or could not be loaded; the bot owner has been told."
    ),
    "error.internal": "Sorry, something went wrong on my side. Please try again later.",
    "error.unknown_command": "I don't know the command /{command}. /help lists what I can do.",
    "error.restart_apology": (
        "Sorry, I was restarted while working on this; please send it again."
    ),
    "error.timeout": "Sorry, this took too long and I gave up. Try a shorter text.",
    "error.storage": "Sorry, I can't save anything right now. Please try again later.",
    "error.summarize_usage": (
        "Reply to a message with /summarize, or write /summarize followed by a text or link."
    ),
    "error.translate_usage": ("Reply to a message with /translate LANG, e.g. /translate en."),
    "error.unknown_language_code": "I don't know the language code {code}.",
    "error.unknown_language_name": (
        "I don't know the language “{name}”. /languages lists the languages I can translate into."
    ),
    "error.unavailable": "A translation from {source} into {target} isn't available yet.",
    "error.nothing_in_reply": "The message you replied to has no text I can read.",
    "error.result_expired": "This summary is no longer available; send the text again.",
    "error.button_invalid": "This button is not valid here.",
    "error.not_allowed": "This command is only for the bot's owners.",
    # -- summary replies -------------------------------------------------------------------------
    "summary.heading": "Summary",
    "summary.source_language": "Source language: {language}",
    "summary.uncertain": "uncertain",
    "summary.original_heading": "{language} (original)",
    "summary.via": "via {language}",
    "summary.no_targets": "No translation is available, so here is the summary in {language}.",
    "summary.cached": "(from cache)",
    "summary.unavailable": "{language} isn't available for this article yet.",
    "summary.install_hint": "Install: {packages}",
    # -- full translations -----------------------------------------------------------------------
    "full.heading": "Translation {source} → {target}",
    "full.via": "via {language}",
    "full.document_caption": "Full translation into {language}",
    "full.already_running": "The full translation into {language} is on its way.",
    "full.already_posted": (
        "The full translation into {language} is already in the chat, as a reply to this summary."
    ),
    # -- buttons under a summary -----------------------------------------------------------------
    "button.full_translation": "Full translation: {language}",
    "button.original": "Original summary",
    "button.translated": "Back to translations",
    "button.shorter": "Shorter",
    "button.longer": "Longer",
    # -- settings ------------------------------------------------------------------------------
    "settings.title_private": "Your settings",
    "settings.title_group": "Settings for {chat}",
    "settings.overview_group_mode": "Group mode: {group_mode}",
    "settings.button.languages": "Languages",
    "settings.button.length": "Length",
    "settings.button.algorithm": "Algorithm",
    "settings.button.group_mode": "Group mode",
    "settings.button.show_source_on": "Show source summary: on",
    "settings.button.show_source_off": "Show source summary: off",
    "settings.button.back": "« Back",
    "settings.button.done": "Done",
    "settings.button.channel": "Settings of the linked channel",
    "settings.button.group": "« Settings of this group",
    "settings.button.channel_mode": "Channel mode",
    "settings.channel_mode.comment": "Comment under posts with a summary",
    "settings.channel_mode.off": "Off",
    "settings.channel_mode.title": "What should I do with the channel's posts?",
    "settings.languages.title": "Pick the languages for summaries (tap to toggle):",
    "settings.languages.none_installed": "No translation models are installed yet.",
    "settings.languages.at_least_one": "Keep at least one language.",
    "settings.length.title": "How many sentences should a summary have?",
    "settings.algorithm.title": "Which method should pick the sentences?",
    "settings.group_mode.title": "When should I answer in this group?",
    "settings.option.on": "on",
    "settings.option.off": "off",
    "settings.mode.auto": "Automatically (links and long texts)",
    "settings.mode.mention": "Only when mentioned or asked",
    "settings.mode.off": "Off",
    "settings.algorithm.news": "News (position- and title-aware, default)",
    "settings.algorithm.lead": "First sentences (lead)",
    "settings.admins_only": "Only group admins can change settings.",
    "settings.saved": "Settings saved.",
    "settings.unchanged": "Nothing changed.",
    "settings.next.private": "Send me a text or a link.",
    "settings.next.auto": "I'll summarize links and long texts posted here.",
    "settings.next.mention": "Mention me or reply to a message with /summarize.",
    "settings.next.off": "I only answer /summarize here.",
    "settings.private_only_mode": "Group mode only matters in groups.",
    "settings.auto_needs_access": (
        "Warning: in auto mode I must read the group's messages, but Telegram's privacy mode "
        "hides them from me. Make me an admin of this group, or have my owner turn privacy "
        "mode off (@BotFather, /setprivacy) and add me again."
    ),
    # -- /languages ------------------------------------------------------------------------------
    "languages.heading_pairs": "Installed translation pairs:",
    "languages.heading_pivot": "Reachable via English:",
    "languages.heading_targets": "Your summary languages:",
    "languages.heading_targets_group": "This group's summary languages:",
    "languages.none": "No translation models are installed.",
    # -- owner commands --------------------------------------------------------------------------
    "stats.heading": "Statistics",
    "stats.requests": "Requests: {total} ({today} today)",
    "stats.cache_hit_rate": "Cache hit rate: {rate}",
    "stats.latency_heading": "Median latency per stage:",
    "stats.queue": "Queue: {length} waiting, {running} running (capacity {capacity})",
    "stats.errors": "Errors: {count}",
    "models.heading": "Installed models",
    "models.none": "No models installed. Add .argosmodel files under [models] install.",
    "models.loaded": "Loaded in memory: {count} of at most {limit}",
    # -- groups ----------------------------------------------------------------------------------
    "group.mention_hint": (
        "Reply to a message with /summarize or send me a link or text together with the mention."
    ),
    "private.short_text_hint": (
        "Send me a link to an article, a longer text or a .txt/.html/.md file, and I'll "
        "summarize it in your languages. To translate any message in full, reply to it with "
        "/translate LANG, e.g. /translate en."
    ),
    # -- first run: no translation model yet --------------------------------------------------
    "setup.no_translation": (
        "⚠️ Translation into {languages} is not available yet: until the bot's operator installs "
        "the translation models, summaries come in the article's own language."
    ),
    "setup.install_hint": (
        "Owner: install the missing models on the server with\n{command}\nor, offline, from "
        ".argosmodel files: briefbot models install PATH (or /models install PATH here)."
    ),
    # -- feeds: /follow, /feeds, /unfollow, deliveries -----------------------------------------
    "feeds.follow_usage": (
        "Send /follow followed by the address of a news feed (RSS, Atom) or of a news page "
        "that links its feed."
    ),
    "feeds.followed": "Now following {title}. New articles will arrive here from now on.",
    "feeds.already": "This chat already follows {title}.",
    "feeds.error.not_a_feed": "That page is not a news feed and does not link to one.",
    "feeds.error.malformed": "That feed is broken (it is not valid XML).",
    "feeds.error.redirect_loop": "That feed address redirects in a loop.",
    "feeds.list_title": "Feeds followed in this chat:",
    "feeds.list_empty": "This chat follows no feeds. Add one with /follow and an address.",
    "feeds.line_paused": "{number}. {title} — paused",
    "feeds.line_failing": "{number}. {title} — paused after errors",
    "feeds.mode.each": "each article",
    "feeds.mode.digest": "digest",
    "feeds.changed": "Saved.",
    "feeds.unfollowed": "Unfollowed {title}.",
    "feeds.unfollow_usage": (
        "Send /unfollow followed by the number shown by /feeds or the feed's address."
    ),
    "feeds.not_followed": "This chat does not follow that feed.",
    "feeds.paused_notice": (
        "⚠️ The feed {title} failed several times in a row and is paused: {error} "
        "Resume it with /feeds once the site works again."
    ),
    "feeds.source": "Source: {feed}",
    "feeds.digest_usage": (
        "Send /digest followed by hours (0-23) and optionally a time zone, for example "
        "/digest 8,18 Europe/Berlin. Now: {hours} ({timezone})."
    ),
    "feeds.digest_saved": "Digests come at {hours} ({timezone}).",
    "feeds.export_caption": "The feeds followed in this chat (OPML, for any feed reader).",
    "feeds.import_usage": "Send an OPML file (exported by a feed reader) with the caption /import.",
    "feeds.import_invalid": "I could not read that file: {error}",
    "feeds.import_failures": "Not followed: {feeds}",
    "feeds.for_channel": "Channel {channel}:",
    "feeds.followed_channel": (
        "Channel {channel} now follows {title}. New articles will be posted there from now on."
    ),
    "feeds.channel_not_found": (
        "I cannot find the channel {channel}. Add me to it as an admin who may post, then name "
        "it by its @username or its id."
    ),
    "feeds.channel_admins_only": "Only admins of that channel can change its feeds.",
    "feeds.line_unreachable": "{number}. {title} — paused: I could not post to the chat",
    "feeds.resumed": (
        "Feed deliveries to this chat were paused while I could not post here. They run again "
        "from now on; /feeds lists them."
    ),
    # -- inline mode (issue 15) -----------------------------------------------------------
    "inline.result_title": "Summary in {language}",
    "inline.open_private": "Summarize it in our private chat",
    "inline.help": "Type or paste a link to an article",
    "inline.blocked": "I don't fetch links into private networks",
    "inline.too_fast": "Too many requests, try again in a minute",
    "inline.expired": "That link has expired. Send me the link itself and I'll summarize it.",
    "inline.placeholder_title": "Summarize in {language}",
    "inline.placeholder_description": "Posts “Summarizing…”, then the summary in its place",
    "inline.placeholder_text": "Summarizing…",
    # -- channels (issue 15) --------------------------------------------------------------
    "command.channel": "Summaries under a channel's posts (channel admins)",
    "command.follow": "Follow a news feed: /follow ADDRESS",
    "command.feeds": "Feeds this chat follows (pause, digest, unfollow)",
    "command.unfollow": "Stop following a feed",
    "channel.usage": (
        "Channel summaries: add me to the channel as an administrator and to its discussion "
        "group, then send here /channel CHANNEL [comment|off] [LANGUAGES], for example "
        "/channel @mynews comment en,fr (or, in the discussion group, /channel comment en,fr). "
        "In comment mode every post with a link or a long text gets its summary as a comment."
    ),
    "channel.not_found": (
        "I can't find that channel. Add me to it as an administrator and give its @name or id."
    ),
    "channel.not_linked": "This group is not the discussion group of a channel.",
    "channel.not_admin": "Only the channel's administrators can change its settings.",
    "channel.unknown_language": "I can't translate into {languages}. See /languages.",
    "channel.status": "Channel {channel}: {mode}.\nLanguages: {languages}.",
    "channel.mode.comment": "summaries of posts with links or long texts as comments",
    "channel.mode.off": "off",
    "channel.no_discussion": (
        "The channel has no linked discussion group yet: link one (channel settings → "
        "Discussion) and add me to it, so there is a place for the comments."
    ),
}


#: Messages with plural forms: (singular, plural, the placeholder holding the count).
PLURALS: dict[str, Plural] = {
    "settings.overview": (
        "Languages: {languages}\nLength: {sentences} sentence\nAlgorithm: {algorithm}\n"
        "Source summary: {show_source}",
        "Languages: {languages}\nLength: {sentences} sentences\nAlgorithm: {algorithm}\n"
        "Source summary: {show_source}",
        "sentences",
    ),
    "settings.option.sentences": ("{count} sentence", "{count} sentences", "count"),
    "stats.loop_lag": (
        "Event loop: worst stall {ms} ms ({stalls} stall over 100 ms)",
        "Event loop: worst stall {ms} ms ({stalls} stalls over 100 ms)",
        "stalls",
    ),
    # -- feeds ----------------------------------------------------------------------------
    "feeds.followed_latest": (
        "Now following {title}. Here is the latest article.",
        "Now following {title}. Here are the latest {count} articles.",
        "count",
    ),
    "feeds.limit": (
        "This chat follows {limit} feed, the most allowed. Unfollow it first.",
        "This chat follows {limit} feeds, the most allowed. Unfollow one first.",
        "limit",
    ),
    "feeds.digest_title": ("Digest: {count} new article", "Digest: {count} new articles", "count"),
    "feeds.import_done": (
        "Imported {count} of {total} feed.",
        "Imported {count} of {total} feeds.",
        "total",
    ),
}

#: What the catalogs translate: everything but the proper names and layout in SHARED.
TRANSLATED: dict[str, str] = {k: v for k, v in EN.items() if k not in SHARED}
SUPPORTED_UI: tuple[str, ...] = (DEFAULT_UI, *(lang for lang in languages() if lang != DEFAULT_UI))


def t(key: str, ui: str, **kwargs: object) -> str:
    """The text ``key`` in language ``ui`` (English when ``ui`` or the key is unknown there).

    An unknown key or a missing placeholder value raises KeyError: a typo must fail loudly in
    tests, not show a raw key to a user.
    """
    catalog = translations(ui if ui in SUPPORTED_UI else DEFAULT_UI)
    plural = PLURALS.get(key)
    if plural is not None:
        singular, plural_text, count = plural
        template = catalog.npgettext(key, singular, plural_text, _count(kwargs[count]))
    elif key in SHARED:
        template = SHARED[key]
    else:
        template = catalog.pgettext(key, EN[key])
    return template.format(**kwargs)


def _count(value: object) -> int:
    """The number that picks a plural form (an int, or digits already formatted for display)."""
    if isinstance(value, int):
        return value
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return int(digits) if digits else 0


def pick_ui_language(telegram_language_code: str | None, override: str | None = None) -> str:
    """The UI language: an explicit supported override wins, else Telegram's user language
    by its primary subtag ("de-AT" -> "de"), else English."""
    for candidate in (override, telegram_language_code):
        if candidate:
            primary = candidate.replace("_", "-").split("-", 1)[0].strip().lower()
            if primary in SUPPORTED_UI:
                return primary
    return DEFAULT_UI
