"""Helpers for the page tests: a signed-in client per persona, and the messages a response carries."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.auth_helpers import login


@pytest.fixture
def client_for(db):
    """`client_for(user)`: a test client signed in as the user (past two-factor where it is required)."""

    def make(user, **kwargs) -> Client:
        client = Client(**kwargs)
        login(client, user)
        return client

    return make


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def page_text(response) -> str:
    return response.content.decode()
