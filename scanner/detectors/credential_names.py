"""Which names hold credentials, and which values are only placeholders.

Shared by the code-aware detectors. Names are split into lower-case words
(snake_case, kebab-case and camelCase alike); a name is a credential when one
of its words says so and no later word turns it into a description of the
credential (`password_field`, `token_url`, `PASSWORD_MIN_LENGTH`).
"""

from __future__ import annotations

import enum
import functools

from scanner.text import shannon_entropy


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Category(enum.Enum):
    PASSWORD = "password"
    SECRET_KEY = "secret-key"
    TOKEN = "token"
    SECRET = "secret"


_PASSWORD_WORDS = frozenset({"password", "passwd", "passwrd", "pwd", "passphrase", "pw", "pass"})
_TOKEN_WORDS = frozenset({"token", "apikey", "accesstoken", "authtoken", "bearer", "authorization"})
_SECRET_WORDS = frozenset({"secret", "secrets", "credential", "credentials", "creds"})
_KEY_QUALIFIERS = {
    "api": Category.TOKEN,
    "access": Category.TOKEN,
    "auth": Category.TOKEN,
    "client": Category.TOKEN,
    "app": Category.TOKEN,
    "secret": Category.SECRET_KEY,
    "private": Category.SECRET_KEY,
    "signing": Category.SECRET_KEY,
    "sign": Category.SECRET_KEY,
    "encryption": Category.SECRET_KEY,
    "hmac": Category.SECRET_KEY,
    "jwt": Category.SECRET_KEY,
    "master": Category.SECRET_KEY,
    "session": Category.SECRET_KEY,
    "crypt": Category.SECRET_KEY,
    "aes": Category.SECRET_KEY,
}
_SIGNING_CONTEXT = frozenset({"jwt", "hmac", "signing", "sign", "django", "flask"})

_DESCRIPTORS = """field fields name names url uri urls endpoint path paths file files filename dir env var
    vars type types length len min max size count num number hash hashes hasher hashers algorithm
    algorithms alg algo header headers prefix suffix pattern patterns regex re label prompt message
    msg msgs help text title id ids key_id kind format fmt template policy policies validator
    validators rule rules reset expiry expires expiration timeout ttl age lifetime index idx pos
    attr attribute attributes param params column columns provider providers class cls mode modes
    enabled required label required char chars option options form input widget mask style version
    manager location source store storage backend backends flag field_name error errors exception
    module handler factory callback func function method description desc doc docs info check
    service endpoint scope scopes cache cached"""
_DESCRIPTOR_WORDS = _words(_DESCRIPTORS)
_NEGATIVE_PREFIXES = _words(
    """is has use uses enable disable show hide allow require num count max min no forgot
    check validate get set new_ need ask prompt confirm verify default_hash n incorrect
    wrong bad invalid fake dummy mock example sample test placeholder old expected"""
)


def split_words(name: str) -> list[str]:
    """`jwtSecretKey` → ['jwt', 'secret', 'key']; `API_TOKEN` → ['api', 'token']."""
    words: list[str] = []
    current = ""
    previous = ""
    for ch in name:
        if not ch.isalnum():
            if current:
                words.append(current)
            current = ""
        elif ch.isupper() and previous.islower() and current:
            words.append(current)
            current = ch
        else:
            current += ch
        previous = ch
    if current:
        words.append(current)
    return [w.lower() for w in words]


@functools.lru_cache(maxsize=4096)
def credential_category(name: str) -> Category | None:
    """The kind of credential `name` holds, or None when it holds none (kept:
    the same few names come back in every file of a history)."""
    words = split_words(name)
    if not words or words[0] in _NEGATIVE_PREFIXES:
        return None
    found: tuple[int, Category] | None = None
    for index, word in enumerate(words):
        category = _word_category(words, index, word)
        if category is not None:
            found = (index, category)
    if found is None:
        return None
    index, category = found
    if any(w in _DESCRIPTOR_WORDS for w in words[index + 1 :]):
        return None
    if category is Category.SECRET and any(w in _SIGNING_CONTEXT for w in words):
        return Category.SECRET_KEY
    if category is Category.TOKEN and words[index] == "key" and "secret" in words:
        return Category.SECRET_KEY
    return category


def _word_category(words: list[str], index: int, word: str) -> Category | None:
    if word in _PASSWORD_WORDS:
        if word in {"pass", "pw"} and index != len(words) - 1:
            return None
        if word in {"pass", "pw"} and len(words) == 1:
            return None
        return Category.PASSWORD
    if word in _TOKEN_WORDS:
        return Category.TOKEN
    if word == "key" and index > 0 and words[index - 1] in _KEY_QUALIFIERS:
        return _KEY_QUALIFIERS[words[index - 1]]
    if word in {"privatekey", "secretkey", "signingkey", "apikey", "accesskey", "hmackey"}:
        return Category.TOKEN if word in {"apikey", "accesskey"} else Category.SECRET_KEY
    if word in _SECRET_WORDS:
        return Category.SECRET
    return None


_PLACEHOLDER_WORDS = _words(
    """changeme change_me change-me changeit example placeholder dummy sample redacted fake
    mock test xxxx **** .... your_ your- yourpass todo fixme insert replace secret_here
    here> notreal not-a-real not_a_real < ${ {{ %( $( {} {0} *** somepass mypass badpass
    wrongpass doesnotexist incorrect invalid bogus ..."""
)
_PLACEHOLDER_EXACT = _words(
    """password passwd secret token none null nil undefined default admin root user username
    guest foobar foo bar baz qwerty letmein secretkey secret_key apikey api_key
    access_token empty unknown invalid missing required optional anonymous false true"""
)
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})
MIN_LENGTH = {
    Category.PASSWORD: 6,
    Category.SECRET: 8,
    Category.SECRET_KEY: 8,
    Category.TOKEN: 10,
}


PLAUSIBLE_KEPT_CHARS = 256
"""Values up to this long have their verdict kept (`_kept_verdict`)."""


def is_plausible_secret(value: str, category: Category) -> bool:
    """False for values that only stand in for a secret: placeholders, templates,
    references, prose, paths, URLs and the like. The verdict of a short value is
    kept in memory (a bounded cache, never written anywhere): a test suite's
    history holds the same few placeholders thousands of times."""
    if len(value) <= PLAUSIBLE_KEPT_CHARS:
        return _kept_verdict(value, category)
    return _plausible(value, category)


def _plausible(value: str, category: Category) -> bool:
    text = value.strip()
    scheme, _, rest = text.partition(" ")
    if scheme.lower() in _AUTH_SCHEMES and rest and category is not Category.PASSWORD:
        text = rest.strip()
    lowered = text.lower()
    if len(text) < MIN_LENGTH[category] or lowered in _PLACEHOLDER_EXACT:
        return False
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return False
    if len(set(text)) <= 2 or text.startswith(("$", "%", "/", "./", "~/", "http://", "https://")):
        return False
    if (
        "\n" in text
        or ("{" in text and "}" in text)
        or _is_reference(text)
        or _is_prose(text, category)
    ):
        return False
    if category is not Category.PASSWORD and shannon_entropy(text) < 2.5:
        return False
    if category is Category.PASSWORD and text.isalpha() and text.islower() and len(text) < 8:
        return False
    if _is_wordy(text, category) or (category is not Category.PASSWORD and _is_uuid(lowered)):
        return False
    return not lowered.endswith((".pem", ".key", ".json", ".txt", ".crt", ".p12", ".yaml"))


_kept_verdict = functools.lru_cache(maxsize=8192)(_plausible)


def _is_reference(text: str) -> bool:
    """An environment variable name, a dotted import path or a settings key."""
    plain = text.replace("_", "").replace(".", "").replace("-", "")
    if plain.isalnum() and plain.isupper() and ("_" in text or plain.isalpha()):
        return True
    parts = text.split(".")
    if len(parts) > 1 and all(p.isidentifier() for p in parts):
        return True
    if not text.isidentifier():
        return False
    if "_" in text and text.islower():
        return True
    return any(w in _REFERENCE_WORDS for w in split_words(text))


def _is_wordy(text: str, category: Category) -> bool:
    """Words without digits: a label or a name (`Access-Control-Allow-Credentials`).

    A password may be a passphrase, so for passwords only a label that names a
    credential counts as wordy (`role-secret-key`, `session-token`)."""
    words = split_words(text)
    if not all(w.isalpha() for w in words) or not words:
        return False
    if category is not Category.PASSWORD:
        return True
    return any(w in _REFERENCE_WORDS for w in words)


def _is_uuid(text: str) -> bool:
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(
        c in "0123456789abcdef" for p in parts for c in p
    )


_REFERENCE_WORDS = _PASSWORD_WORDS | _TOKEN_WORDS | _SECRET_WORDS | {"key", "auth"}


def _is_prose(text: str, category: Category) -> bool:
    if text.endswith((":", "?", "!", ": ")) and " " in text:
        return True
    spaces = text.count(" ")
    if category is Category.PASSWORD:
        return spaces >= 2 and sum(ch.isalpha() or ch == " " for ch in text) == len(text)
    return spaces >= 1
