"""ServiceTitan customers become FreshBooks clients."""

from __future__ import annotations

import pytest
from mapper_harness import run_mapper, st_customer, stream_of


def client(**fields) -> dict:
    settings = fields.pop("settings", {})
    return run_mapper(stream_of("customers", st_customer(**fields)), **settings).one("clients")


def test_residential_customer_fields() -> None:
    customer = st_customer()
    assert client() == {
        "source_key": f"servicetitan:customer:{customer['id']}",
        "active": True,
        "review_reason": None,
        "email": customer["email"],
        "fname": "Maria",
        "lname": "Gonzalez",
        "organization": None,
        "bus_phone": customer["phone"],
        "mob_phone": None,
        "home_phone": None,
        "p_street": customer["address"]["street"],
        "p_street2": customer["address"]["unit"],
        "p_city": customer["address"]["city"],
        "p_province": customer["address"]["state"],
        "p_code": customer["address"]["zip"],
        "p_country": customer["address"]["country"],
        "currency_code": "USD",
    }


@pytest.mark.parametrize(
    ("name", "fname", "lname"),
    [
        ("Cher", "Cher", None),
        ("Mary Ann Smith", "Mary Ann", "Smith"),
        ("Smith, John", "John", "Smith"),
        ("John Smith Jr.", "John", "Smith Jr."),
        ("Robert  De   Niro", "Robert De", "Niro"),
        ("Tom & Ann Baker", "Tom & Ann", "Baker"),
    ],
)
def test_residential_names_split_into_first_and_last(name: str, fname: str, lname: str | None) -> None:
    mapped = client(name=name)
    assert (mapped["fname"], mapped["lname"], mapped["organization"]) == (fname, lname, None)


def test_commercial_customer_is_an_organization() -> None:
    mapped = client(name="Hudson Valley Property Mgmt LLC", type="Commercial")
    assert (mapped["organization"], mapped["fname"], mapped["lname"]) == ("Hudson Valley Property Mgmt LLC", None, None)


def test_customer_without_email_still_syncs() -> None:
    mapped = client(email=None, emails=[])
    assert mapped["email"] is None
    assert mapped["review_reason"] is None
    assert mapped["lname"] == "Gonzalez"


def test_customer_without_address_or_phone() -> None:
    mapped = client(address=None, phone=None)
    assert mapped["bus_phone"] is None
    assert all(mapped[f] is None for f in ("p_street", "p_street2", "p_city", "p_province", "p_code", "p_country"))


def test_inactive_customer_maps_to_inactive_client() -> None:
    assert client(active=False, mergedToId=99)["active"] is False


def test_currency_comes_from_the_setting() -> None:
    assert client(settings={"currency_code": "cad"})["currency_code"] == "CAD"


def test_customer_with_neither_name_nor_email_goes_to_review() -> None:
    mapped = client(name="  ", email=None)
    assert "neither a name nor an email" in mapped["review_reason"]
