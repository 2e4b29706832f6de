"""Text normalisation and news/web boilerplate removal, before anything is segmented.

Everything downstream (detection, segmentation, summary, translation) sees the output of
``translation.text.normalize.normalize_text`` (re-exported here).
"""

from __future__ import annotations

import re

from translation.text.normalize import MANY_NEWLINES, normalize_text
from translation.text.segmentation import split_paragraphs

__all__ = [
    "BOILERPLATE_PATTERNS",
    "clean_article_text",
    "is_boilerplate",
    "normalize_text",
    "split_title",
]

# -- boilerplate --------------------------------------------------------------------------------

_SHORT = 200  # a boilerplate line is short; long lines are article text whatever they contain


def _line(pattern: str) -> re.Pattern[str]:
    """A case-insensitive pattern for a whole line (surrounding punctuation/emoji allowed)."""
    return re.compile(rf"^[^\w(]{{0,3}}(?:{pattern})[\s.:!…»›>→\-–—|)\]]*$", re.IGNORECASE)


def _prefix(pattern: str) -> re.Pattern[str]:
    """A line that starts with a boilerplate phrase ("Schreibe einen Kommentar …")."""
    return re.compile(rf"^[^\w(]{{0,3}}(?:{pattern})(?:\b|(?<=\W))", re.IGNORECASE)


def _lead_in(pattern: str) -> re.Pattern[str]:
    """A teaser lead-in alone or before a separator ("Mehr zum Thema – <headline>"), so that
    "Read more about it in the report, the minister said." stays article text."""
    return re.compile(rf"^[^\w(]{{0,3}}(?:{pattern})\s*(?:[:–—\-|»›>→…]|$)", re.IGNORECASE)


_SHARE_TARGETS = r"Facebook|Twitter|X|WhatsApp|LinkedIn|Telegram|Xing|Pinterest|Reddit|E-?Mail"

# Lines that are whole navigation/share/comment/subscription furniture.
_FURNITURE = (
    _line(
        r"Teilen|Artikel teilen|Jetzt teilen|Beitrag teilen|Seite teilen|Drucken|Artikel drucken"
        r"|Merken|Artikel merken|Link kopieren|Twittern|Tweet|Tweeten|Share|Share this( article"
        r"| story)?|Print|Email|E-Mail|Pin it|Partager|Imprimer|Compartir|Imprimir|Condividi"
        r"|Stampa|Delen|Compartilhar|Udostępnij|Drukuj|Поделиться|Печать|Поділитися|Друк"
        r"|(?:Teilen Sie|Teile) (?:diesen|den) (?:Artikel|Beitrag)|Share this post"
        r"|Partagez? cet article|Comparte (?:este|esta) (?:artículo|noticia)"
        r"|Condividi (?:questo|l') ?articolo|Udostępnij (?:ten )?artykuł"
        r"|Поделит(?:ь|е)ся (?:этой )?(?:статьей|статьёй|новостью)"
        r"|Поділіться (?:цією )?(?:статтею|новиною)"
    ),
    _line(
        rf"(?:Auf|Bei|Via|Per|Share on|Share via|Partager sur|Compartir en|Condividi su)"
        rf" (?:{_SHARE_TARGETS})(?: teilen| senden| versenden)?"
    ),
    _line(
        r"(?:\d+ )?(?:Kommentare?|Comments?|Commentaires?|Comentarios?|Commenti|Reacties"
        r"|Komentarze?|Комментарии|Комментарий|Коментарі|Коментар)"
        r"(?: \(\d+\)| anzeigen| lesen| ausblenden)?"
    ),
    _line(
        r"Anzeigen?|Werbung|Advertisement|Advertising|Sponsored( content| post)?|Gesponsert"
        r"|Publicité|Publicidad|Pubblicità|Advertentie|Paid content|Promotion|Reklama"
        r"|Artykuł sponsorowany|Materiał (?:partnera|sponsorowany)|Реклама|Промо"
        r"|Contenu sponsorisé|Contenido patrocinado|Contenuto sponsorizzato"
    ),
    _line(
        r"Weiterlesen|Weiter lesen|Mehr lesen|Mehr erfahren|Mehr anzeigen|Alle Artikel"
        r"|Artikel lesen|Zum Artikel|Zum Beitrag|Zur Startseite|Zur Übersicht|Nach oben"
        r"|Zurück( zur Übersicht)?|Read more|Continue reading|Load more|Show more|See more"
        r"|Back to top|Lire la suite|Lire plus|Leer más|Seguir leyendo|Leggi di più"
        r"|Continua a leggere|Lees meer|Artikel anhören|Vorlesen|Audio abspielen|Listen"
        r"|Czytaj (?:więcej|dalej)|Читать (?:далее|дальше)|Подробнее|Читати далі|Детальніше"
    ),
    _line(
        r"Impressum|Datenschutz|Datenschutzerklärung|Kontakt|AGB|Barrierefreiheit"
        r"|Privacy( Policy)?|Terms( of (Use|Service))?|Cookie-?Einstellungen"
        r"|Cookie settings|Mentions légales|Aviso legal|Note legali|Sitemap|Newsletter"
    ),
    _line(
        r"Abonnieren|Jetzt abonnieren|Abo abschließen|Jetzt registrieren|Registrieren"
        r"|Anmelden|Einloggen|Login|Log in|Sign in|Sign up|Subscribe( now)?|S'abonner"
        r"|Abonnez-vous|Suscríbete|Iscriviti|Abonneer|Subskrybuj|Zaloguj się|Подписаться"
        r"|Подпишитесь|Войти|Підписатися|Підпишіться|Увійти"
    ),
    _line(
        r"\(?(?:Symbolbild|Archivbild|Archivfoto|Symbolfoto|Bild|Foto|Video|Grafik"
        r"|Illustration|Stock photo)\)?"
    ),
    _line(r"Loading|Wird geladen|Lädt|Bitte warten|Chargement"),
    _line(
        r"(?:Zum |Zur |Direkt zum )?(?:Hauptinhalt|Inhalt|Navigation|Hauptnavigation|Seiteninhalt)"
        r"|Skip to (?:main )?content|Aller au contenu(?: principal)?|Ir al contenido"
        r"|Vai al contenuto|Przejdź do treści|Перейти к содержанию|Перейти до вмісту"
    ),
    _line(
        r"Newsticker|Liveticker|Top Stories|Aktuelle Artikel|Weitere interessante (?:News|Artikel)"
        r"|Themen in diesem Artikel|Forum zum Thema|Vos réactions|Mail the editor|URL zum Kopieren"
        r"|Inhalt teilen|Cookies (?:&|und) Tracking|Persönlicher Newsletter|Mehr (?:aus|von|zu)"
        r" [\w -]{1,30}"
    ),
    re.compile(r"^.{0,50}\b(?:abonnieren|subscribe|folgen|follow)$", re.IGNORECASE),
)

# Lines that start with a lead-in to other content, a credit or a legal notice.
_LEAD_INS = (
    _lead_in(
        r"Mehr zum Thema|Mehr dazu|Dazu passend|Passend zum Thema|Auch interessant"
        r"|Ebenfalls interessant|Auch lesenswert"
        r"|Das könnte (?:Sie|dich) (?:auch )?interessieren"
        r"|Lesen Sie (?:auch|mehr|hier|dazu|weiter)|Lies auch|Hier lesen Sie|Weitere "
        r"(?:Artikel|Nachrichten|Meldungen|Themen|Informationen) zum Thema|Verwandte (?:Artikel"
        r"|Themen)|Empfohlene Artikel|Top-Themen|Meistgelesen|Meistgelesene Artikel"
    ),
    _lead_in(
        r"Read (?:also|more)|Also read|See also|Related(?: articles| stories| coverage"
        r"| content| posts)?|More on this|More from|Recommended(?: for you)?"
        r"|You (?:may|might) also like|Most read|Trending now"
        r"|Lire aussi|À lire aussi|A lire aussi|Sur le même sujet|Voir aussi"
        r"|Lee también|Leer también|Te puede interesar|Más información"
        r"|Leggi anche|Potrebbe interessarti|Lees ook|Leia também|Veja também"
        r"|Czytaj (?:także|też|również)|Przeczytaj (?:także|też|również)|Zobacz (?:także|też)"
        r"|Polecamy|Читайте (?:также|тоже)|Смотрите также|См\. также|По теме"
        r"|Читайте (?:також|теж)|Дивіться також|На тему"
    ),
    _prefix(
        r"(?:Schreibe|Schreiben Sie|Hinterlasse|Hinterlassen Sie) (?:einen|Ihren|deinen)"
        r" Kommentar|Kommentar (?:schreiben|verfassen|hinzufügen|abgeben)|Diskutieren Sie mit"
        r"|Jetzt kommentieren|Leave a (?:comment|reply)|Post a comment|Add a comment|Join the"
        r" discussion|Laisser un commentaire|Laissez un commentaire|Deja un comentario|Dejar un"
        r" comentario|Lascia un commento|Plaats een reactie|Deixe um comentário"
    ),
    _prefix(
        r"(?=.{0,120}$)(?:Foto|Fotos|Bild|Bilder|Bildquelle|Quelle|Quellen|Grafik|Video|Illustration"
        r"|Symbolbild|Titelbild|Titelfoto|Archivbild|Credit|Credits|Photo|Photos|Image"
        r"|Picture|Source|Sources|Crédit photo|Crédits?|Fuente|Fonte|Foto di|Beeld|Zdjęcie"
        r"|Źródło|Фото|Источник|Джерело)"
        r"(?:\s*/\s*\w+)?\s*:"
    ),
    _prefix(
        r"Alle Rechte vorbehalten|All rights reserved|Tous droits réservés|Todos los derechos"
        r" reservados|Tutti i diritti riservati|Alle rechten voorbehouden|Wszelkie prawa"
        r" zastrzeżone|Все права защищены|Всі права захищені|Copyright|©|\(c\)"
        r" \d{4}"
    ),
    _prefix(
        r"(?:Stand|Aktualisiert|Veröffentlicht|Publiziert|Erstellt|Zuletzt aktualisiert"
        r"|Updated|Published|Posted|Last updated|Publié|Mis à jour|Publicado|Actualizado"
        r"|Pubblicato|Aggiornato)(?: am| on| le| el| il)?:?\s+[\w.,: ]*\d"
    ),
    _prefix(
        r"(?:Tags|Schlagwörter|Schlagworte|Themen|Stichworte|Keywords|Topics|Mots-clés"
        r"|Etiquetas|Argomenti)\s*:"
    ),
    _prefix(
        r"Folgen Sie uns|Folge uns|Follow us|Suivez-nous|Síguenos|Seguici|Obserwuj nas"
        r"|Подписывайтесь на нас|Подписывайтесь на наш|Підписуйтесь на нас|Підписуйтеся на"
    ),
    _prefix(r"(?:Lesedauer|Lesezeit|Reading time|Temps de lecture|Tiempo de lectura)\s*:?\s*\d"),
    _prefix(
        r"Bitte (?:loggen|melden|registrieren) Sie sich|Diskussion zu diesem Artikel"
        r"|Zum Vergrößern|Vervielfältigung nur mit|Haben Sie (?:schon|bereits) ein"
        r" (?:Benutzerkonto|Konto|Abo)"
    ),
)

# Whole-sentence notices (cookies, newsletters, paywalls) that may be phrased many ways.
_NOTICES = (
    re.compile(r"©|\(c\) ?(?:19|20)\d\d\b|\bCopyright\s*(?:\(c\)|(?:19|20)\d\d)", re.IGNORECASE),
    # "Diese Website verwendet Cookies…" / "We use cookies…": the site speaking about itself
    re.compile(
        r"\b(?:(?:diese|unsere) (?:Web)?(?:site|seite)|wir|this (?:web)?site|our (?:web)?site|we"
        r"|ce site|nous|este sitio|questo sito)\b.{0,40}\b(?:verwende[tn]?|nutz(?:t|en)"
        r"|setz(?:t|en)|use[sd]?|utilise|utilisons|utiliza|utilizamos|utilizza|utilizziamo)\b"
        r".{0,40}\bCookies?\b",
        re.IGNORECASE,
    ),
    _line(
        r"(?:Alle )?(?:Cookies )?(?:akzeptieren|ablehnen|zustimmen)(?: und (?:weiter|schließen))?"
        r"|Alle (?:akzeptieren|ablehnen)|Accept(?: all)?(?: cookies)?|Reject all|Agree"
        r"|Manage (?:cookies|preferences|consent)|Tout accepter|Tout refuser|Aceptar(?: todo)?"
        r"|Rechazar|Accetta(?: tutto)?|Rifiuta|Einstellungen|Datenschutz-Einstellungen"
    ),
    re.compile(
        r"\b(?:Newsletter)\b.{0,80}\b(?:abonnieren|anmelden|bestellen|erhalten"
        r"|subscribe|sign up|inscri|suscr|iscriv)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:abonnieren|subscribe to|melden Sie sich|sign up for)\b.{0,60}"
        r"\b(?:Newsletter|unseren Kanal|our channel|Telegram-Kanal)\b",
        re.IGNORECASE,
    ),
    # "Diese Seite zeigt gesponserten Marketing-Inhalt von …": paid content announcing itself
    re.compile(
        r"\b(?:gesponsert\w*|sponsored|sponsoris\w*|patrocinad\w*|sponsorizzat\w*"
        r"|sponsorowan\w*|спонсорск\w*|спонсорськ\w*)\s+(?:\w+[- ]){0,2}"
        r"(?:\w*-?Inhalt\w*|content|contenu|contenido|contenuto|tre(?:ść|ści)|materia\w*"
        r"|материал\w*|матеріал\w*|Beitrag|Artikel|article|artículo|articolo|artykuł)"
        r"|^(?:in (?:Zusammenarbeit|Kooperation) mit|präsentiert von|paid (?:post|partnership)"
        r"|(?:in )?partnership with|en partenariat avec|en colaboración con|in collaborazione"
        r" con|we współpracy z)\b[^.!?]{0,60}$"
        r"|\b(?:Dieser|Der) (?:Beitrag|Artikel|Inhalt)\b.{0,40}\b(?:gesponsert|bezahlt)"
        r"|\bThis (?:article|content|post|story)\b.{0,30}\b(?:sponsored|paid for)\b"
        r"|\bНа правах рекламы\b|\bНа правах реклами\b|\bПартн[её]рск\w* материал"
        r"|\bПартнерськ\w* матеріал|\bMateriał partnera\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\bBitte aktivieren Sie JavaScript\b|\bplease enable JavaScript\b"
        r"|\bJavaScript (?:ist deaktiviert|is disabled)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:Dieser|Der) (?:Artikel|Inhalt|Beitrag) ist (?:nur )?(?:für|exklusiv für)"
        r" (?:Abonnenten|Abonnentinnen|Plus-Kunden|Digital-Abonnenten)",
        re.IGNORECASE,
    ),
)

# "Startseite > Politik > Ausland": three or more short crumbs, no sentence punctuation.
_CRUMBS = re.compile(r"^[^.!?>›»|]{1,40}(?:\s[>›»|/]\s[^.!?>›»|]{1,40}){2,}$")
# "Von Anna Muster" / "By Jane Doe and John Roe": a byline of capitalised names only.
_NAME = r"[A-ZÄÖÜÀ-ÖØ-ÞŁŚŻŹĆŃČŠŽ][\w.'’-]*"
_BYLINE = re.compile(
    rf"^(?:Von|By|Par|Por|Di|Door)\s+{_NAME}(?:,?\s+(?:und|and|et|y|e|en|&|{_NAME})){{0,9}}$"
)
# A block of teaser headlines after these headings belongs to the heading.
_BLOCK_HEADINGS = (
    _line(
        r"Mehr zum Thema|Mehr dazu|Lesen Sie auch|Lesen Sie mehr|Auch interessant"
        r"|Das könnte (?:Sie|dich) (?:auch )?interessieren|Weitere Artikel|Weitere Nachrichten"
        r"|Verwandte Artikel|Verwandte Themen|Empfohlene Artikel|Meistgelesen|Top-Themen"
        r"|Related(?: articles| stories| coverage)?|Read (?:also|more)|More on this(?: story"
        r"| topic)?|Recommended(?: for you)?|You (?:may|might) also like|Most read|Lire aussi"
        r"|À lire aussi|Sur le même sujet|Lee también|Te puede interesar|Leggi anche"
        r"|Tags|Schlagwörter|Themen"
    ),
)
# Past these headings in the second half of a text, everything is comments or furniture.
_TAIL_HEADINGS = (
    _line(
        r"(?:\d+ )?Kommentare?(?: \(\d+\))?|Leserkommentare|Diskussion|Comments?"
        r"(?: \(\d+\))?|Commentaires|Comentarios|Commenti"
    ),
    _prefix(
        r"(?:Schreibe|Schreiben Sie|Hinterlasse|Hinterlassen Sie) (?:einen|Ihren|deinen)"
        r" Kommentar|Leave a (?:comment|reply)|Laisser un commentaire|Deja un comentario"
        r"|Lascia un commento"
    ),
)

BOILERPLATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    *_FURNITURE,
    *_LEAD_INS,
    *_NOTICES,
    _CRUMBS,
    _BYLINE,
    *_BLOCK_HEADINGS,
    *_TAIL_HEADINGS,
)


def is_boilerplate(line: str) -> bool:
    """True for a whole line (or sentence) that is web furniture rather than article text."""
    stripped = line.strip()
    if not stripped or len(stripped) > _SHORT:
        return False
    return any(p.search(stripped) for p in BOILERPLATE_PATTERNS)


def _is_teaser_line(line: str) -> bool:
    """A headline-like line: short and without closing sentence punctuation."""
    return len(line) <= 150 and not line.rstrip("\"'”“»«)").endswith((".", "!", "?", ":"))


def _article_lines(lines: list[str]) -> list[str]:
    total = sum(len(line) for line in lines) or 1
    kept: list[str] = []
    seen = 0
    in_block = False
    for line in lines:
        seen += len(line)
        if not line:
            kept.append(line)
            continue
        if seen > total / 2 and any(p.search(line) for p in _TAIL_HEADINGS):
            break
        if any(p.search(line) for p in _BLOCK_HEADINGS):
            in_block = True
            continue
        if in_block and (_is_teaser_line(line) or is_boilerplate(line)):
            continue
        in_block = False
        if not is_boilerplate(line):
            kept.append(line)
    return kept


def clean_article_text(text: str) -> str:
    """Normalised text without boilerplate lines, teaser blocks or a trailing comment section."""
    kept = _article_lines(normalize_text(text).split("\n"))
    return MANY_NEWLINES.sub("\n\n", "\n".join(kept)).strip()


_TITLE_MAX_CHARS = 150
_TITLE_MAX_WORDS = 25
_BODY_MIN_CHARS = 80


def _is_title_like(line: str) -> bool:
    return (
        len(line) < _TITLE_MAX_CHARS
        and len(line.split()) <= _TITLE_MAX_WORDS
        and any(ch.isalpha() for ch in line)
        and not line.rstrip("\"'”“»«)").endswith((".", ",", ";", ":", "…"))
        and not is_boilerplate(line)
    )


def split_title(text: str) -> tuple[str | None, str]:
    """A leading title line and the body, or ``(None, text)`` when the text has no title.

    The first line is a title when it stands alone (blank line or a capitalised body after it),
    is short, does not end like a sentence (a "?" or "!" headline is fine), and a body of some
    length follows. A first line that merely wraps into the next one is not a title.
    """
    normalized = normalize_text(text)
    head, _, rest = normalized.partition("\n")
    head, rest = head.strip(), rest.strip()
    if not rest or len(rest) < _BODY_MIN_CHARS or not _is_title_like(head):
        return None, text
    if split_paragraphs(normalized)[0] != head:
        return None, text
    return head, rest
