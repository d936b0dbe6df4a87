"""`GET /auth/api/v1/users/me`: the user, and the businesses it belongs to.

The user owns one business (account `credentials.FB_ACCOUNT_ID`) and is also a *client* of a supplier's
business, whose membership is listed first: a connector that takes `business_memberships[0]` picks the
wrong account. Shape as the SDK fixture `auth_me_response.json` (no `result` level).
"""

from __future__ import annotations

from typing import Any

from sandbox import credentials

USER_ID = 2_841_337
OWNED_BUSINESS = {"id": 4_419_002, "uuid": "4d6f1c2e-8a51-4c1b-9d3e-5a7b2f0c9e11",
                  "name": "Riverbend Plumbing & Heating"}
CLIENT_OF_ACCOUNT_ID = "NGS4Q1"
CLIENT_OF_BUSINESS = {"id": 3_907_551, "uuid": "0b2e9f7a-3c64-4d8e-a1f5-6e9d2c7b4a30",
                      "name": "Northgate Supply Co."}


def _business(info: dict[str, Any], account_id: str, date_format: str, address: dict[str, Any],
              phone: str) -> dict[str, Any]:
    return {
        "id": info["id"], "business_uuid": info["uuid"], "name": info["name"], "account_id": account_id,
        "date_format": date_format, "address": address, "phone_number": {"id": info["id"] + 17, "phone_number": phone},
        "business_clients": [], "active": True,
    }


def me(account_id: str = credentials.FB_ACCOUNT_ID) -> dict[str, Any]:
    owned = _business(
        OWNED_BUSINESS, account_id, "mm/dd/yyyy",
        {"id": 861_204, "street": "418 Millrace Road", "city": "Riverbend", "province": "Oregon",
         "country": "United States", "postal_code": "97405"},
        "541-555-0142",
    )
    supplier = _business(
        CLIENT_OF_BUSINESS, CLIENT_OF_ACCOUNT_ID, "mm/dd/yyyy",
        {"id": 790_033, "street": "77 Foundry Lane", "city": "Eugene", "province": "Oregon",
         "country": "United States", "postal_code": "97402"},
        "541-555-0199",
    )
    return {
        "id": USER_ID,
        "identity_id": USER_ID,
        "identity_uuid": "9a3c5e71-2b4d-4f60-8e1a-7c9b0d2e4f58",
        "first_name": "Dana",
        "last_name": "Whitfield",
        "email": credentials.FB_USER_EMAIL,
        "language": "en",
        "confirmed_at": "2021-03-02T16:20:11Z",
        "created_at": "2021-03-02T16:14:47Z",
        "unconfirmed_email": None,
        "setup_complete": True,
        "profile": {"setup_complete": True, "first_name": "Dana", "last_name": "Whitfield", "phone_number": None,
                    "address": None, "professions": [], "has_password": True},
        "phone_numbers": [{"title": "", "phone_number": None}],
        "addresses": [None],
        "profession": None,
        "links": {"me": f"/service/auth/api/v1/users?id={USER_ID}",
                  "roles": f"/service/auth/api/v1/users/role/{USER_ID}"},
        "permissions": {CLIENT_OF_ACCOUNT_ID: {}, account_id: {}},
        "groups": [
            {"id": 5_120_871, "group_id": 2_210_004, "role": "owner", "identity_id": USER_ID,
             "identity_uuid": OWNED_BUSINESS["uuid"], "business_id": OWNED_BUSINESS["id"], "active": True},
        ],
        "subscription_statuses": {account_id: "active"},
        "integrations": {},
        "business_memberships": [
            {"id": 7_331_902, "role": "client", "unacknowledged_change": False, "business": supplier},
            {"id": 7_330_118, "role": "owner", "unacknowledged_change": False, "business": owned},
        ],
        "identity_origin": None,
        "roles": [
            {"id": 915_230, "role": "client", "systemid": 3_907_551, "userid": 88_214,
             "created_at": "2022-06-14T18:03:55Z", "links": {"destroy": "/service/auth/api/v1/users/role/915230"},
             "accountid": CLIENT_OF_ACCOUNT_ID},
            {"id": 902_114, "role": "admin", "systemid": 4_419_002, "userid": 1,
             "created_at": "2021-03-02T16:14:47Z", "links": {"destroy": "/service/auth/api/v1/users/role/902114"},
             "accountid": account_id},
        ],
    }
