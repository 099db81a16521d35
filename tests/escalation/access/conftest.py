from tests.web.conftest import client_for  # noqa: F401 - the pages are asked as each person
