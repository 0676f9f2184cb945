"""Deterministic identifiers, names and contact data derived from small integers.

Nothing here is stored: a buyer is just an index into a pool, and its name, e-mail, ucode,
documents and address are recomputed from (account seed, index) whenever a response is
rendered. That keeps a million-sale account to a few dozen bytes per sale.
"""

from __future__ import annotations

import string
from functools import lru_cache

_MASK64 = (1 << 64) - 1
_ALNUM = string.ascii_uppercase + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits

FIRST_NAMES = (
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Henrique",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
    "Sofia",
    "Thiago",
    "Vanessa",
    "William",
    "Camila",
    "Lucas",
    "Mariana",
    "Pedro",
    "Juliana",
    "Gustavo",
    "Beatriz",
    "Rodrigo",
    "Fernanda",
    "Mateus",
    "María",
    "José",
    "Lucía",
    "Carlos",
    "Emma",
    "Liam",
    "Chloé",
    "Hugo",
    "Valentina",
    "Santiago",
)
LAST_NAMES = (
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
    "García",
    "Hernández",
    "López",
    "Martínez",
    "Dubois",
    "Müller",
)
CITIES = (
    ("São Paulo", "SP", "Brasil"),
    ("Rio de Janeiro", "RJ", "Brasil"),
    ("Belo Horizonte", "MG", "Brasil"),
    ("Curitiba", "PR", "Brasil"),
    ("Porto Alegre", "RS", "Brasil"),
    ("Recife", "PE", "Brasil"),
    ("Salvador", "BA", "Brasil"),
    ("Lisboa", "Lisboa", "Portugal"),
    ("Ciudad de México", "CDMX", "México"),
    ("Bogotá", "DC", "Colombia"),
    ("Madrid", "Madrid", "España"),
    ("Miami", "FL", "United States"),
)
_ASCII = str.maketrans("áàâãéêíóôõúüçñÁÉÍÓÚÇ", "aaaaeeiooouucnAEIOUC")


def mix(*parts: int) -> int:
    """SplitMix64-style hash of a few integers: cheap, stable across runs and platforms."""
    return mix_more(0x9E3779B97F4A7C15, *parts)


def mix_more(h: int, *parts: int) -> int:
    """`mix` continued from the hash of a prefix: ``mix(a, b, c) == mix_more(mix(a, b), c)``,
    so hashes that share a prefix (the fields of one person) hash it once."""
    for p in parts:
        h = (h ^ (p & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & _MASK64
        h ^= h >> 29
    return h


def fast_hash(salt: int, i: int) -> int:
    """A cheap 64-bit hash of (salt, i) for per-item hot paths (rendering 500-item pages)."""
    h = (salt ^ (i * 0x9E3779B97F4A7C15)) & _MASK64
    h = (h ^ (h >> 31)) * 0xBF58476D1CE4E5B9 & _MASK64
    return h ^ (h >> 29)


def uuid_from(*parts: int) -> str:
    """A UUID-looking ucode (Hotmart ucodes are UUIDs) derived from integers."""
    return uuid_fast(mix(*parts[:-1]), parts[-1])


def uuid_fast(salt: int, i: int) -> str:
    """:func:`uuid_from` for a precomputed ``salt`` = ``mix(*parts[:-1])``.

    One 64-bit hash makes the identity; the other half is a cheap bijection of it.
    """
    a = fast_hash(salt, i)
    x = f"{a:016x}{a * 0xD6E8FEB86659FD93 & _MASK64:016x}"
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{x[16:20]}-{x[20:32]}"


def person_fast(salt: int, i: int) -> tuple[str, str]:
    """:func:`person_name` for a precomputed salt (buyers are rendered on every page)."""
    h = fast_hash(salt, i)
    return FIRST_NAMES[h % len(FIRST_NAMES)], LAST_NAMES[(h >> 20) % len(LAST_NAMES)]


def code_from(alphabet: str, length: int, *parts: int) -> str:
    """A short alphanumeric code (offer codes, subscriber codes) derived from integers."""
    h = mix(*parts)
    out = []
    n = len(alphabet)
    for _ in range(length):
        h, r = divmod(h, n)
        out.append(alphabet[r])
    return "".join(out)


def offer_code(*parts: int) -> str:
    """Offer codes look like ``k2pasun0`` (8 lowercase alphanumerics)."""
    return code_from(_LOWER_ALNUM, 8, *parts)


def subscriber_code(*parts: int) -> str:
    """Subscriber codes look like ``ABC12DEF`` (8 uppercase alphanumerics)."""
    return code_from(_ALNUM, 8, *parts)


def person_name(*parts: int) -> tuple[str, str]:
    """(first name, last name) for a person index (the last part)."""
    return person_fast(mix(*parts[:-1]), parts[-1])


@lru_cache(maxsize=4096)
def _ascii_lower(name: str) -> str:
    return name.translate(_ASCII).lower()


def email_for(first: str, last: str, n: int, domain: str = "example.com") -> str:
    """An obviously fake, unique e-mail address (``example.com`` never receives mail)."""
    return f"{_ascii_lower(first)}.{_ascii_lower(last)}{n}@{domain}"


def digits(n: int, *parts: int) -> str:
    """``n`` decimal digits derived from integers (phones, documents, zip codes)."""
    return digits_of(n, mix(*parts))


def digits_of(n: int, h: int) -> str:
    """`digits` of a precomputed ``h = mix(*parts)``."""
    h2 = mix(h, 7)
    return f"{h:020d}{h2:020d}"[-n:]


def transaction_code(account_no: int, sale_index: int) -> str:
    """``HP`` + 14 digits: 2 for the account, 10 for the sale, 2 check digits.

    The layout lets the server map a code back to a sale without an index dictionary.
    """
    return f"HP{account_no:02d}{sale_index:010d}{(sale_index * 7 + account_no * 13) % 97:02d}"


def parse_transaction(code: str) -> tuple[int, int] | None:
    """(account_no, sale_index) for a code made by :func:`transaction_code`, else None."""
    if len(code) != 16 or not code.startswith("HP") or not code[2:].isdigit():
        return None
    acct, idx = int(code[2:4]), int(code[4:14])
    if transaction_code(acct, idx) != code:
        return None
    return acct, idx
