"""Settings and accounts: every mistake gets one clear line, never a secret."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tap_hotmart.accounts import resolve_accounts
from tap_hotmart.settings import PRODUCTION_API_URL, SANDBOX_API_URL, parse_settings

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
SECRET = "test-secret-value-1234"


def basic_of(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def single(**overrides: object) -> dict:
    config = {"client_id": "cid", "client_secret": SECRET, "basic": basic_of("cid", SECRET)}
    config.update(overrides)
    return config


def error_of(call) -> str:
    with pytest.raises(ConfigValidationError) as info:
        call()
    message = " ".join(info.value.errors) or str(info.value)
    assert SECRET not in message
    return message


def test_basic_key_is_accepted_with_or_without_prefix() -> None:
    plain = resolve_accounts(single())
    prefixed = resolve_accounts(single(basic="Basic " + basic_of("cid", SECRET)))
    assert plain == prefixed
    assert plain[0].account_id == "default"


def test_single_account_takes_account_id_setting() -> None:
    assert resolve_accounts(single(account_id="shop-br"))[0].account_id == "shop-br"


def test_secrets_never_show_in_repr() -> None:
    account = resolve_accounts(single())[0]
    assert SECRET not in repr(account)
    assert basic_of("cid", SECRET) not in repr(account)


def test_basic_key_of_other_credentials_is_refused() -> None:
    message = error_of(lambda: resolve_accounts(single(basic=basic_of("cid", "other"))))
    assert "Basic key does not belong" in message


def test_missing_credentials_name_what_is_missing() -> None:
    assert "No Hotmart credentials" in error_of(lambda: resolve_accounts({}))
    message = error_of(lambda: resolve_accounts({"client_id": "cid", "client_secret": SECRET}))
    assert "missing basic" in message


def test_accounts_list_and_duplicates() -> None:
    account = {"account_id": "a", **single()}
    assert [a.account_id for a in resolve_accounts({"accounts": [account]})] == ["a"]
    assert "appears twice" in error_of(lambda: resolve_accounts({"accounts": [account, account]}))
    assert "one or the other" in error_of(
        lambda: resolve_accounts({"accounts": [account], **single()})
    )


def test_defaults_read_the_whole_history_up_to_now() -> None:
    settings = parse_settings({}, NOW)
    assert settings.start_date == datetime(2011, 1, 1, tzinfo=timezone.utc)
    assert settings.end_date == NOW
    assert settings.api_url == PRODUCTION_API_URL


def test_sandbox_and_overrides() -> None:
    assert parse_settings({"sandbox": True}, NOW).api_url == SANDBOX_API_URL
    settings = parse_settings({"api_url": "http://127.0.0.1:9/", "auth_url": "http://x/t"}, NOW)
    assert settings.api_url == "http://127.0.0.1:9"
    assert settings.auth_url == "http://x/t"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"start_date": "2024-13-45"}, "start_date '2024-13-45' is not a date"),
        ({"page_size": 1000}, "page_size is 1000; it must be a whole number from 1 to 500"),
        ({"window_days": 0}, "window_days is 0"),
        ({"max_window_days": 400}, "max_window_days is 400"),
        ({"window_days": 120}, "window_days (120) is more than max_window_days (90)"),
        ({"window_days": 10, "max_window_days": 7}, "lower window_days or raise max_window_days"),
        ({"start_date": "2030-01-01"}, "is not before end_date/now"),
    ],
)
def test_bad_settings_get_one_clear_line(config: dict, expected: str) -> None:
    assert expected in error_of(lambda: parse_settings(config, NOW))


def test_explicit_end_date_wins() -> None:
    expected = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert parse_settings({"end_date": "2026-12-01"}, NOW).end_date == expected


def test_metrics_log_level_is_hidden_by_default_and_checked() -> None:
    assert parse_settings({}, NOW).metrics_log_level == "WARNING"
    assert parse_settings({"metrics_log_level": "info"}, NOW).metrics_log_level == "INFO"
    message = error_of(lambda: parse_settings({"metrics_log_level": "LOUD"}, NOW))
    assert "metrics_log_level is 'LOUD'; use one of DEBUG, INFO, WARNING, ERROR" in message
