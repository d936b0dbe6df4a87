"""`target-freshbooks authorize`: the OAuth2 authorization-code grant, tokens stored encrypted."""

from __future__ import annotations

import secrets

import click
import requests

from target_freshbooks.auth import (
    OAuthClient,
    TokenCipher,
    TokenManager,
    choose_account,
    code_from_redirect,
    fetch_code_without_browser,
)
from target_freshbooks.commands import config_option, load_settings
from target_freshbooks.errors import ConfigError
from target_freshbooks.http import FreshBooksClient
from target_freshbooks.ledger.store import Ledger


@click.command()
@config_option
@click.option("--code", help="The authorization code (non-interactive).")
@click.option("--redirected-url", help="The URL the browser was redirected to after consent (non-interactive).")
def authorize(config_files: tuple[str, ...], code: str | None, redirected_url: str | None) -> None:
    """Authorize access to FreshBooks and store the tokens, encrypted, in the ledger.

    Prints the consent URL; then takes the code from --code or --redirected-url, or from the
    authorization server itself when it redirects at once (the sandbox does), or asks you to paste the
    redirected URL (FreshBooks requires an HTTPS redirect URI, so the browser usually lands on a page
    that does not exist: copy its address).
    """
    settings = load_settings(config_files)
    cipher = TokenCipher.from_settings(settings)
    ledger = Ledger(settings.ledger_url)
    try:
        session = requests.Session()
        oauth = OAuthClient(settings, session=session)
        if code:
            the_code = code.strip()
        elif redirected_url:
            the_code = code_from_redirect(redirected_url)
        else:
            state = secrets.token_urlsafe(16)
            url = oauth.consent_url(state)
            click.echo(f"Open this URL, log in to FreshBooks and allow access:\n\n  {url}\n")
            found = fetch_code_without_browser(url, settings.redirect_uri, session, settings.request_timeout, state)
            if found:
                click.echo("The authorization server redirected straight back with a code.")
                the_code = found
            else:
                pasted = click.prompt("Paste the URL your browser was redirected to (or just the code)")
                the_code = code_from_redirect(pasted, state)
        tokens = TokenManager(ledger.tokens(settings.tenant, settings.client_id), cipher, oauth)
        tokens.save_new(oauth.exchange_code(the_code))
        click.echo(f"Tokens stored, encrypted, in the ledger {settings.ledger_url_for_display} "
                   f"(tenant {settings.tenant!r}).")
        client = FreshBooksClient(settings.api_url, tokens, timeout=settings.request_timeout)
        try:
            account = choose_account(client.me(), settings.account_id)
        except ConfigError as exc:
            raise click.ClickException(f"Authorized, but no FreshBooks account can be chosen yet: {exc}") from exc
        click.echo(f"Will write to FreshBooks account {account}.")
    finally:
        ledger.close()
