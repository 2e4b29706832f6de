"""The bot's own texts in English and German.

Every template is PLAIN TEXT with ``str.format`` placeholders: callers that send HTML escape the
result (``bot.telegram.formatting.render_text`` does it), so no template ever carries markup and a
placeholder filled with user input can never inject any. English is the reference; German must
have the same keys and placeholders (a test checks it).
"""

from __future__ import annotations

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
    "error.nothing_in_reply": "The message you replied to has no text I can read.",
    "error.result_expired": "This summary is no longer available; send the text again.",
    "error.button_invalid": "This button is not valid here.",
    "error.not_allowed": "This command is only for the bot's owners.",
    # -- summary replies -------------------------------------------------------------------------
    "summary.heading": "Summary",
    "summary.source_language": "Source language: {language}",
    "summary.uncertain": "uncertain",
    "summary.missing": "{language}: no translation model ({packages} needed)",
    "summary.original_heading": "{language} (original)",
    "summary.via": "via {language}",
    "summary.no_targets": "No translation is available, so here is the summary in {language}.",
    "summary.cached": "(from cache)",
    # -- full translations -----------------------------------------------------------------------
    "full.heading": "Translation {source} → {target}",
    "full.via": "via {language}",
    "full.document_caption": "Full translation into {language}",
    # -- buttons under a summary -----------------------------------------------------------------
    "button.full_translation": "Full translation: {language}",
    "button.original": "Original summary",
    "button.translated": "Back to translations",
    "button.shorter": "Shorter",
    "button.longer": "Longer",
    # -- settings ------------------------------------------------------------------------------
    "settings.title_private": "Your settings",
    "settings.title_group": "Settings for {chat}",
    "settings.overview": (
        "Languages: {languages}\n"
        "Length: {sentences} sentences\n"
        "Algorithm: {algorithm}\n"
        "Source summary: {show_source}"
    ),
    "settings.overview_group_mode": "Group mode: {group_mode}",
    "settings.button.languages": "Languages",
    "settings.button.length": "Length",
    "settings.button.algorithm": "Algorithm",
    "settings.button.group_mode": "Group mode",
    "settings.button.show_source_on": "Show source summary: on",
    "settings.button.show_source_off": "Show source summary: off",
    "settings.button.back": "« Back",
    "settings.button.done": "Done",
    "settings.languages.title": "Pick the languages for summaries (tap to toggle):",
    "settings.languages.none_installed": "No translation models are installed yet.",
    "settings.languages.at_least_one": "Keep at least one language.",
    "settings.length.title": "How many sentences should a summary have?",
    "settings.algorithm.title": "Which method should pick the sentences?",
    "settings.group_mode.title": "When should I answer in this group?",
    "settings.option.sentences": "{count} sentences",
    "settings.option.on": "on",
    "settings.option.off": "off",
    "settings.mode.auto": "Automatically (links and long texts)",
    "settings.mode.mention": "Only when mentioned or asked",
    "settings.mode.off": "Off",
    "settings.algorithm.news": "News (position- and title-aware, default)",
    "settings.algorithm.lead": "First sentences (lead)",
    "settings.admins_only": "Only group admins can change settings.",
    "settings.saved": "Settings saved.",
    "settings.closed": "Settings saved. Send me a text or a link.",
    "settings.private_only_mode": "Group mode only matters in groups.",
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
    "stats.loop_lag": "Event loop: worst stall {ms} ms ({stalls} stalls over 100 ms)",
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
    "feeds.followed_latest": "Now following {title}. Here are the latest {count} articles.",
    "feeds.already": "This chat already follows {title}.",
    "feeds.limit": "This chat follows {limit} feeds, the most allowed. Unfollow one first.",
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
    "feeds.digest_title": "Digest: {count} new articles",
    "feeds.digest_usage": (
        "Send /digest followed by hours (0-23) and optionally a time zone, for example "
        "/digest 8,18 Europe/Berlin. Now: {hours} ({timezone})."
    ),
    "feeds.digest_saved": "Digests come at {hours} ({timezone}).",
    "feeds.export_caption": "The feeds followed in this chat (OPML, for any feed reader).",
    "feeds.import_usage": "Send an OPML file (exported by a feed reader) with the caption /import.",
    "feeds.import_invalid": "I could not read that file: {error}",
    "feeds.import_done": "Imported {count} of {total} feeds.",
    "feeds.import_failures": "Not followed: {feeds}",
    # -- inline mode (issue 15) -----------------------------------------------------------
    "inline.result_title": "Summary in {language}",
    "inline.open_private": "Summarize it in our private chat",
    "inline.help": "Type or paste a link to an article",
    "inline.blocked": "I don't fetch links into private networks",
    "inline.too_fast": "Too many requests, try again in a minute",
    "inline.expired": "That link has expired. Send me the link itself and I'll summarize it.",
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

DE: dict[str, str] = {
    **SHARED,
    "start.welcome": (
        "Hallo! Ich fasse Nachrichtenartikel kurz in deinen Sprachen zusammen und übersetze "
        "direkt hier auf meinem eigenen Rechner (kein Cloud-Dienst sieht deinen Text).\n\n"
        "Schick mir einen Link, füge einen Text ein, leite einen Kanalbeitrag weiter oder "
        "schick eine .txt-/.html-/.md-Datei. Deine Sprachen: {languages}. Ändern kannst du sie "
        "mit /settings; /help erklärt mehr."
    ),
    "help.text": (
        "Was ich mache: Ich wähle die wichtigsten Sätze eines Artikels aus und übersetze sie "
        "in die Sprachen, die du gewählt hast.\n\n"
        "Schick mir:\n"
        "• einen Link zu einem Artikel\n"
        "• einen eingefügten Text\n"
        "• einen weitergeleiteten Kanalbeitrag (Text oder Bildunterschrift)\n"
        "• eine .txt-, .html- oder .md-Datei (bis {max_file})\n\n"
        "Befehle:\n"
        "/summarize – fasst die Nachricht zusammen, auf die du antwortest, oder den Text bzw. "
        "Link nach dem Befehl\n"
        "/translate SPRACHE – als Antwort auf eine Nachricht: vollständige Übersetzung, "
        "z. B. /translate en\n"
        "/languages – installierte Übersetzungsmodelle und Sprachen, die über Englisch "
        "erreichbar sind\n"
        "/settings – Sprachen, Länge, Verfahren, Gruppenmodus, Zusammenfassung im Original\n"
        "/help – dieser Text\n\n"
        "Unter jeder Zusammenfassung gibt es Knöpfe für die vollständige Übersetzung, die "
        "Zusammenfassung im Original und eine kürzere oder längere Fassung."
    ),
    "help.groups": (
        "In Gruppen: Antworte auf eine Nachricht mit /summarize oder erwähne mich. Der "
        "Gruppenmodus legt fest, ob ich auch von selbst antworte: auto (Links und lange Texte), "
        "mention (nur auf Anfrage), off. Nur Gruppenadmins können die Einstellungen ändern."
    ),
    "help.limits": (
        "Grenzen: {max_chars} Zeichen pro Text, {max_sentences} Sätze pro Artikel, {max_file} "
        "pro Datei, {per_user} Anfragen pro Minute und Person."
    ),
    "command.start": "Bot starten",
    "command.help": "So benutzt du den Bot",
    "command.settings": "Sprachen, Länge und weitere Einstellungen",
    "command.summarize": "Nachricht, Text oder Link zusammenfassen",
    "command.translate": "Antwortnachricht vollständig übersetzen: /translate SPRACHE",
    "command.languages": "Installierte Sprachen und Übersetzungspaare",
    "command.stats": "Nutzungsstatistik (nur Betreiber)",
    "command.models": "Installierte Übersetzungsmodelle (nur Betreiber)",
    "progress.working": "Ich arbeite daran…",
    "progress.queued": "In der Warteschlange (Platz {position})…",
    "progress.fetching": "Lade den Artikel…",
    "progress.reading_file": "Lese die Datei…",
    "progress.detecting": "Erkenne die Sprache…",
    "progress.summarizing": "Fasse zusammen…",
    "progress.translating": "Übersetze nach {languages}…",
    "progress.translating_full": "Übersetze den ganzen Text nach {language}…",
    "progress.sending_document": "Die Übersetzung ist lang; ich schicke sie als Datei…",
    "error.empty": (
        "Die Nachricht ist leer. Schick mir einen Link, einen Text oder eine Datei zum "
        "Zusammenfassen."
    ),
    "error.unsupported_content": (
        "Ich kann nur Texte, Links und .txt-/.html-/.md-Dateien lesen, nicht diese Art von "
        "Nachricht."
    ),
    "error.not_text_file": (
        "Diese Datei kann ich nicht lesen: Schick eine UTF-8-Textdatei (.txt, .html oder .md), "
        "nicht {kind}."
    ),
    "error.binary_file": (
        "Diese Datei sieht binär aus, nicht nach Text. Schick eine .txt-, .html- oder .md-Datei."
    ),
    "error.file_too_large": "Die Datei ist zu groß: Die Grenze liegt bei {limit}.",
    "error.text_too_long": "Der Text ist zu lang: Die Grenze liegt bei {limit} Zeichen.",
    "error.too_many_sentences": "Der Artikel hat zu viele Sätze: Die Grenze liegt bei {limit}.",
    "error.no_sentences": "Ich habe in diesem Text keine Sätze zum Zusammenfassen gefunden.",
    "error.rate_limited_user": "Du schickst zu schnell; versuch es in einer Minute noch einmal.",
    "error.rate_limited_chat": (
        "In diesem Chat kommen zu viele Anfragen; versucht es in einer Minute noch einmal."
    ),
    "error.busy": "Ich bin gerade ausgelastet, versuch es in einer Minute noch einmal.",
    "error.fetch_failed": "Ich konnte den Artikel nicht laden: {reason}",
    "error.link_refused": "Diesen Link kann ich nicht öffnen: {reason}",
    "fetch.not_found": "Die Seite wurde nicht gefunden (HTTP {status}).",
    "fetch.forbidden": "Die Website verweigert den Zugriff auf die Seite (HTTP {status}).",
    "fetch.rate_limited": (
        "Die Website begrenzt gerade die Anfragen (HTTP {status}); versuch es später noch einmal."
    ),
    "fetch.server_error": "Die Website hat einen Serverfehler gemeldet (HTTP {status}).",
    "fetch.http_error": "Die Website hat die Seite nicht geliefert (HTTP {status}).",
    "fetch.too_many_redirects": "Der Link leitet zu oft weiter (mehr als {limit}-mal).",
    "fetch.invalid_url": "Das ist keine gültige Webadresse.",
    "fetch.scheme": "Nur http- und https-Links werden unterstützt.",
    "fetch.blocked": "Nur öffentliche Webseiten sind erlaubt.",
    "fetch.port": "Nur Webseiten an den üblichen Web-Ports sind erlaubt (nicht Port {port}).",
    "fetch.not_a_page": (
        "Der Link führt nicht zu einer Webseite oder einem Text (sondern zu {content_type})."
    ),
    "fetch.not_a_page_untyped": "Die Website gibt nicht an, was für ein Dokument das ist.",
    "fetch.binary": "Die Seite enthält Binärdaten, keinen Text.",
    "fetch.too_large": "Die Seite ist größer als {max_bytes}; mehr lese ich nicht.",
    "fetch.timeout": "Die Seite hat zu lange zum Laden gebraucht (Grenze: {seconds} s).",
    "fetch.too_slow": "Die Website sendet die Seite zu langsam, deshalb lese ich sie nicht weiter.",
    "fetch.dns": "Den Server {host} konnte ich nicht finden.",
    "fetch.connect": "Keine Verbindung zu {host} möglich.",
    "fetch.connection": "Die Verbindung zu {host} ist fehlgeschlagen.",
    "fetch.compression": "Die komprimierten Daten der Seite sind nicht lesbar.",
    "error.unsupported_language": (
        "Der Text scheint auf {language} zu sein; das kann ich noch nicht übersetzen."
    ),
    "error.language_uncertain": (
        "Ich kann nicht erkennen, in welcher Sprache der Text ist. Schick bitte einen längeren "
        "Text."
    ),
    "error.missing_model": ("Kein Übersetzungsmodell für {source}→{target}. Nötig: {packages}."),
    "error.model_broken": (
        "Ein Übersetzungsmodell ist beschädigt oder ließ sich nicht laden; der Betreiber ist "
        "informiert."
    ),
    "error.internal": (
        "Entschuldigung, bei mir ist etwas schiefgegangen. Bitte versuch es später noch einmal."
    ),
    "error.unknown_command": "Den Befehl /{command} kenne ich nicht. /help zeigt, was ich kann.",
    "error.restart_apology": (
        "Entschuldigung, ich wurde neu gestartet, während ich daran gearbeitet habe; bitte "
        "schick es noch einmal."
    ),
    "error.timeout": (
        "Entschuldigung, das hat zu lange gedauert und ich habe abgebrochen. Versuch es mit "
        "einem kürzeren Text."
    ),
    "error.storage": (
        "Entschuldigung, ich kann gerade nichts speichern. Bitte versuch es später noch einmal."
    ),
    "error.summarize_usage": (
        "Antworte auf eine Nachricht mit /summarize oder schreib /summarize gefolgt von einem "
        "Text oder Link."
    ),
    "error.translate_usage": (
        "Antworte auf eine Nachricht mit /translate SPRACHE, z. B. /translate en."
    ),
    "error.unknown_language_code": "Den Sprachcode {code} kenne ich nicht.",
    "error.nothing_in_reply": "Die Nachricht, auf die du antwortest, enthält keinen Text.",
    "error.result_expired": (
        "Diese Zusammenfassung ist nicht mehr verfügbar; schick den Text bitte noch einmal."
    ),
    "error.button_invalid": "Dieser Knopf ist hier nicht gültig.",
    "error.not_allowed": "Dieser Befehl ist nur für die Betreiber des Bots.",
    "summary.heading": "Zusammenfassung",
    "summary.source_language": "Ausgangssprache: {language}",
    "summary.uncertain": "unsicher",
    "summary.missing": "{language}: kein Übersetzungsmodell ({packages} nötig)",
    "summary.original_heading": "{language} (Original)",
    "summary.via": "über {language}",
    "summary.no_targets": (
        "Keine Übersetzung verfügbar, deshalb hier die Zusammenfassung auf {language}."
    ),
    "summary.cached": "(aus dem Zwischenspeicher)",
    "full.heading": "Übersetzung {source} → {target}",
    "full.via": "über {language}",
    "full.document_caption": "Vollständige Übersetzung: {language}",
    "button.full_translation": "Ganze Übersetzung: {language}",
    "button.original": "Original-Zusammenfassung",
    "button.translated": "Zurück zu den Übersetzungen",
    "button.shorter": "Kürzer",
    "button.longer": "Länger",
    "settings.title_private": "Deine Einstellungen",
    "settings.title_group": "Einstellungen für {chat}",
    "settings.overview": (
        "Sprachen: {languages}\n"
        "Länge: {sentences} Sätze\n"
        "Verfahren: {algorithm}\n"
        "Zusammenfassung im Original: {show_source}"
    ),
    "settings.overview_group_mode": "Gruppenmodus: {group_mode}",
    "settings.button.languages": "Sprachen",
    "settings.button.length": "Länge",
    "settings.button.algorithm": "Verfahren",
    "settings.button.group_mode": "Gruppenmodus",
    "settings.button.show_source_on": "Original zeigen: an",
    "settings.button.show_source_off": "Original zeigen: aus",
    "settings.button.back": "« Zurück",
    "settings.button.done": "Fertig",
    "settings.languages.title": "Wähle die Sprachen der Zusammenfassungen (antippen: an/aus):",
    "settings.languages.none_installed": "Es sind noch keine Übersetzungsmodelle installiert.",
    "settings.languages.at_least_one": "Mindestens eine Sprache muss bleiben.",
    "settings.length.title": "Wie viele Sätze soll eine Zusammenfassung haben?",
    "settings.algorithm.title": "Mit welchem Verfahren sollen die Sätze ausgewählt werden?",
    "settings.group_mode.title": "Wann soll ich in dieser Gruppe antworten?",
    "settings.option.sentences": "{count} Sätze",
    "settings.option.on": "an",
    "settings.option.off": "aus",
    "settings.mode.auto": "Automatisch (Links und lange Texte)",
    "settings.mode.mention": "Nur wenn ich erwähnt oder gefragt werde",
    "settings.mode.off": "Aus",
    "settings.algorithm.news": "Nachrichten (Position und Titel, Standard)",
    "settings.algorithm.lead": "Erste Sätze (Lead)",
    "settings.admins_only": "Nur Gruppenadmins können die Einstellungen ändern.",
    "settings.saved": "Einstellungen gespeichert.",
    "settings.closed": "Einstellungen gespeichert. Schick mir einen Text oder einen Link.",
    "settings.private_only_mode": "Der Gruppenmodus gilt nur in Gruppen.",
    "languages.heading_pairs": "Installierte Übersetzungspaare:",
    "languages.heading_pivot": "Über Englisch erreichbar:",
    "languages.heading_targets": "Deine Zusammenfassungssprachen:",
    "languages.heading_targets_group": "Zusammenfassungssprachen dieser Gruppe:",
    "languages.none": "Es sind keine Übersetzungsmodelle installiert.",
    "stats.heading": "Statistik",
    "stats.requests": "Anfragen: {total} ({today} heute)",
    "stats.cache_hit_rate": "Trefferquote des Zwischenspeichers: {rate}",
    "stats.latency_heading": "Median der Dauer pro Schritt:",
    "stats.queue": "Warteschlange: {length} wartend, {running} laufend (Kapazität {capacity})",
    "stats.errors": "Fehler: {count}",
    "stats.loop_lag": "Event-Loop: längste Blockade {ms} ms ({stalls} über 100 ms)",
    "models.heading": "Installierte Modelle",
    "models.none": (
        "Keine Modelle installiert. Trag .argosmodel-Dateien unter [models] install ein."
    ),
    "models.loaded": "Im Speicher geladen: {count} von höchstens {limit}",
    "group.mention_hint": (
        "Antworte auf eine Nachricht mit /summarize oder schick mir mit der Erwähnung einen "
        "Link oder Text."
    ),
    "private.short_text_hint": (
        "Schick mir einen Link zu einem Artikel, einen längeren Text oder eine .txt-/.html-/.md-"
        "Datei, dann fasse ich ihn in deinen Sprachen zusammen. Ganz übersetzt bekommst du eine "
        "Nachricht, wenn du mit /translate SPRACHE darauf antwortest, z. B. /translate en."
    ),
    "setup.no_translation": (
        "⚠️ Übersetzungen nach {languages} sind noch nicht verfügbar: Bis der Betreiber des Bots "
        "die Übersetzungsmodelle installiert, kommen Zusammenfassungen in der Sprache des Artikels."
    ),
    "setup.install_hint": (
        "Für Besitzer: Installiere die fehlenden Modelle auf dem Server mit\n{command}\noder "
        "offline aus .argosmodel-Dateien: briefbot models install PFAD (oder hier /models "
        "install PFAD)."
    ),
    # -- feeds: /follow, /feeds, /unfollow, deliveries -----------------------------------------
    "feeds.follow_usage": (
        "Sende /follow und die Adresse eines Newsfeeds (RSS, Atom) oder einer Nachrichtenseite, "
        "die ihren Feed verlinkt."
    ),
    "feeds.followed": "{title} wird jetzt verfolgt. Neue Artikel kommen ab jetzt hierher.",
    "feeds.followed_latest": "{title} wird jetzt verfolgt. Hier die neuesten {count} Artikel.",
    "feeds.already": "Dieser Chat verfolgt {title} bereits.",
    "feeds.limit": (
        "Dieser Chat verfolgt {limit} Feeds, mehr sind nicht erlaubt. Entfolge zuerst einem."
    ),
    "feeds.error.not_a_feed": "Diese Seite ist kein Newsfeed und verlinkt auch keinen.",
    "feeds.error.malformed": "Dieser Feed ist defekt (kein gültiges XML).",
    "feeds.error.redirect_loop": "Diese Feed-Adresse leitet im Kreis weiter.",
    "feeds.list_title": "In diesem Chat verfolgte Feeds:",
    "feeds.list_empty": (
        "Dieser Chat verfolgt keine Feeds. Füge einen mit /follow und einer Adresse hinzu."
    ),
    "feeds.line_paused": "{number}. {title} — pausiert",
    "feeds.line_failing": "{number}. {title} — nach Fehlern pausiert",
    "feeds.mode.each": "jeder Artikel",
    "feeds.mode.digest": "Übersicht",
    "feeds.changed": "Gespeichert.",
    "feeds.unfollowed": "{title} wird nicht mehr verfolgt.",
    "feeds.unfollow_usage": (
        "Sende /unfollow und die Nummer aus /feeds oder die Adresse des Feeds."
    ),
    "feeds.not_followed": "Dieser Chat verfolgt diesen Feed nicht.",
    "feeds.paused_notice": (
        "⚠️ Der Feed {title} ist mehrmals hintereinander fehlgeschlagen und pausiert: {error} "
        "Setze ihn mit /feeds fort, sobald die Seite wieder funktioniert."
    ),
    "feeds.source": "Quelle: {feed}",
    "feeds.digest_title": "Übersicht: {count} neue Artikel",
    "feeds.digest_usage": (
        "Sende /digest und Stunden (0-23), optional mit Zeitzone, zum Beispiel "
        "/digest 8,18 Europe/Berlin. Jetzt: {hours} ({timezone})."
    ),
    "feeds.digest_saved": "Übersichten kommen um {hours} ({timezone}).",
    "feeds.export_caption": "Die in diesem Chat verfolgten Feeds (OPML, für jeden Feedreader).",
    "feeds.import_usage": (
        "Sende eine OPML-Datei (aus einem Feedreader exportiert) mit der Bildunterschrift /import."
    ),
    "feeds.import_invalid": "Ich konnte die Datei nicht lesen: {error}",
    "feeds.import_done": "{count} von {total} Feeds importiert.",
    "feeds.import_failures": "Nicht verfolgt: {feeds}",
    # -- inline mode (issue 15) -----------------------------------------------------------
    "inline.result_title": "Zusammenfassung auf {language}",
    "inline.open_private": "Im privaten Chat zusammenfassen",
    "inline.help": "Gib einen Link zu einem Artikel ein",
    "inline.blocked": "Links in private Netzwerke rufe ich nicht ab",
    "inline.too_fast": "Zu viele Anfragen, versuch es in einer Minute wieder",
    "inline.expired": "Dieser Link ist abgelaufen. Schick mir den Link selbst, dann fasse ich "
    "ihn zusammen.",
    # -- channels (issue 15) --------------------------------------------------------------
    "command.channel": "Zusammenfassungen unter Kanalbeiträgen (Kanal-Admins)",
    "command.follow": "Einem Newsfeed folgen: /follow ADRESSE",
    "command.feeds": "Feeds dieses Chats (pausieren, Digest, entfolgen)",
    "command.unfollow": "Einem Feed nicht mehr folgen",
    "channel.usage": (
        "Kanal-Zusammenfassungen: Füge mich dem Kanal als Administrator und seiner "
        "Diskussionsgruppe hinzu und schick hier /channel KANAL [comment|off] [SPRACHEN], zum "
        "Beispiel /channel @meinenews comment en,fr (oder in der Diskussionsgruppe /channel "
        "comment en,fr). Im Modus comment bekommt jeder Beitrag mit Link oder langem Text seine "
        "Zusammenfassung als Kommentar."
    ),
    "channel.not_found": (
        "Ich finde diesen Kanal nicht. Füge mich als Administrator hinzu und nenne seinen "
        "@Namen oder seine ID."
    ),
    "channel.not_linked": "Diese Gruppe ist nicht die Diskussionsgruppe eines Kanals.",
    "channel.not_admin": "Nur die Administratoren des Kanals können seine Einstellungen ändern.",
    "channel.unknown_language": "Nach {languages} kann ich nicht übersetzen. Siehe /languages.",
    "channel.status": "Kanal {channel}: {mode}.\nSprachen: {languages}.",
    "channel.mode.comment": "Zusammenfassungen von Beiträgen mit Links oder langen Texten als "
    "Kommentare",
    "channel.mode.off": "aus",
    "channel.no_discussion": (
        "Der Kanal hat noch keine verknüpfte Diskussionsgruppe: Verknüpfe eine "
        "(Kanaleinstellungen → Diskussion) und füge mich hinzu, damit die Kommentare einen Platz "
        "haben."
    ),
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "de": DE}
SUPPORTED_UI = tuple(CATALOGS)


def t(key: str, ui: str, **kwargs: object) -> str:
    """The text ``key`` in language ``ui`` (English when ``ui`` or the key is unknown there).

    An unknown key or a missing placeholder value raises KeyError: a typo must fail loudly in
    tests, not show a raw key to a user.
    """
    template = CATALOGS.get(ui, EN).get(key)
    if template is None:
        template = EN[key]
    return template.format(**kwargs)


def pick_ui_language(telegram_language_code: str | None, override: str | None = None) -> str:
    """The UI language: an explicit supported override wins, else Telegram's user language
    by its primary subtag ("de-AT" -> "de"), else English."""
    for candidate in (override, telegram_language_code):
        if candidate:
            primary = candidate.replace("_", "-").split("-", 1)[0].strip().lower()
            if primary in CATALOGS:
                return primary
    return DEFAULT_UI
