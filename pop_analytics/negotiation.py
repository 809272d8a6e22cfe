"""What a request's weighted lists ask for (RFC 9110 § 12.4.2): Accept-Language picks the language of
a page or an API answer (`i18n.requested`), Accept-Encoding whether a page is gzipped
(`web.accepts_gzip`). One reader for both, so that a weight means the same in each."""
from __future__ import annotations

import re

# A weight is 0 to 1 with at most three decimals; anything else is read as no consent.
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def weights(header: str) -> dict[str, float]:
    """Each item of a weighted list ('br;q=1.0, gzip;q=0.5', 'sq-AL, en;q=0.8'), lower-cased, with its
    weight, in the header's order. An item without q weighs 1; the first mention of an item counts;
    other parameters ('gzip;level=9') are read past, not taken for the weight."""
    found: dict[str, float] = {}
    for part in header.split(","):
        item, *parameters = part.split(";")
        name = item.strip().lower()
        if name:
            found.setdefault(name, _weight(parameters))
    return found


def _weight(parameters: list[str]) -> float:
    weight = 1.0
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            weight = float(value.strip()) if _QVALUE.fullmatch(value.strip()) else 0.0
    return weight


def by_preference(header: str) -> list[str]:
    """The items a header accepts (weight above 0), the heaviest first, in the header's order among
    equal weights."""
    found = weights(header)
    return sorted((item for item, weight in found.items() if weight > 0), key=lambda item: -found[item])
