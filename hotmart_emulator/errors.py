"""Hotmart's error envelope: ``{error, error_description, error_uri}`` (not RFC 7807)."""

from __future__ import annotations

ERROR_URI = "https://developers.hotmart.com/docs/pt-BR/start/http-response-codes/"


class ApiError(Exception):
    """An HTTP error answered with Hotmart's JSON envelope."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict:
        return error_body(self.error, self.description)


def error_body(error: str, description: str) -> dict:
    return {"error": error, "error_description": description, "error_uri": ERROR_URI}
