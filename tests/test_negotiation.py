"""The weighted lists of Accept-Language and Accept-Encoding, read as RFC 9110 § 12.4.2 says."""
from __future__ import annotations

import pytest

from pop_analytics import negotiation


@pytest.mark.parametrize(("header", "weights"), [
    ("gzip, deflate", {"gzip": 1.0, "deflate": 1.0}),
    ("br;q=1.0, gzip;q=0.5", {"br": 1.0, "gzip": 0.5}),
    ("sq-AL, en;q=0.8, *;q=0.1", {"sq-al": 1.0, "en": 0.8, "*": 0.1}),
    ("GZIP ; Q=0.3", {"gzip": 0.3}),  # spaces around the ';', the parameter's name in any case
    ("gzip;level=9;q=0", {"gzip": 0.0}),  # another parameter is not the weight
    ("gzip;q=0.5, gzip;q=1", {"gzip": 0.5}),  # the first mention counts
    ("gzip;q=0.000", {"gzip": 0.0}), ("gzip;q=1.000", {"gzip": 1.0}), ("gzip;q=.5", {"gzip": 0.0}),
    # a weight outside 0–1, with four decimals, or not a number is no consent
    ("gzip;q=2", {"gzip": 0.0}), ("gzip;q=0.1234", {"gzip": 0.0}), ("gzip;q=nan", {"gzip": 0.0}),
    ("gzip;q=", {"gzip": 0.0}), ("gzip;q=1e0", {"gzip": 0.0}),
    ("", {}), (" , ;q=1, ", {}),
])
def test_each_item_of_a_weighted_list_has_its_weight_or_none_when_unreadable(header, weights):
    assert negotiation.weights(header) == weights


@pytest.mark.parametrize(("header", "order"), [
    ("en;q=0.5, sq;q=0.9, de", ["de", "sq", "en"]),
    ("en-GB;q=0.7, sq;q=0.7", ["en-gb", "sq"]),  # equal weights keep the header's order
    ("sq;q=0, en;q=0.1", ["en"]),  # a weight of 0 refuses
    ("", []),
])
def test_the_accepted_items_come_heaviest_first(header, order):
    assert negotiation.by_preference(header) == order
