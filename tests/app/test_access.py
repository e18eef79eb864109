"""The access rule, checked on every route the application has (``app.url_map``), so that
routes added later are covered without touching this file.

Two organisations, A and B, each with departments, a round, a link and responses. Path
parameters are filled with the ids of their real objects:

- signed out, every ``/manage/...`` route sends the visitor to sign in and shows nothing;
- signed in as a consultant of B, every route given an object of A answers 404, GET and POST,
  and changes nothing;
- token routes (the respondents' links) answer 404 to made-up tokens;
- no route answers 500 in any of these walks;
- every answer of every walk carries the security headers and a strict Content-Security-Policy
  whose nonce, when the page has one, is that page's own.

A route with a path parameter this file does not know fails the walk with a message saying
where to add it: its objects need creating here before the rule can be checked.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

from survey.extensions import db
from survey.models import Organisation
from survey.services.accounts import create_user
from tests.conftest import CSRF_FIELD
from tests.factories import DepartmentFactory, LinkFactory, OrganisationFactory, ResponseFactory, RoundFactory

PASSWORD = "a long enough password"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Path parameters naming an object of an organisation: the walks fill them with real ids.
OBJECT_PARAMETERS = ("organisation_id", "round_id", "department_id")
# Path parameters carrying a secret token: they must answer 404 to tokens nobody was given.
GARBAGE_TOKENS = ("garbage", "not-a-real-token-but-long-enough-to-look-like-one-000000000", "%00", "..")


@dataclass
class Owned:
    """One organisation's objects: ids by path parameter, and words that only its pages show."""

    ids: dict[str, int]
    words: list[str] = field(default_factory=list)


def build(label: str) -> Owned:
    organisation = OrganisationFactory(name=f"{label} Borough Council")
    housing = DepartmentFactory(organisation=organisation, name=f"{label} Housing")
    options = DepartmentFactory(organisation=organisation, name=f"{label} Housing Options", parent=housing)
    survey_round = RoundFactory(organisation=organisation, name=f"{label} Spring Review", desired=True)
    LinkFactory(round=survey_round, department=options)
    for _ in range(6):
        ResponseFactory(round=survey_round, department=options, submitted=True,
                        answers={"roles-1": 3, "roles-2": 5}, desired={"roles-1": 6})
    ResponseFactory(round=survey_round, department=housing)
    return Owned(
        ids={"organisation_id": organisation.id, "round_id": survey_round.id, "department_id": options.id},
        words=[organisation.name, housing.name, survey_round.name],
    )


@pytest.fixture
def organisations(client) -> tuple[Owned, Owned]:  # type: ignore[no-untyped-def]
    return build("Aldermoor"), build("Brackenfield")


def sign_in_as_consultant_of(client, organisation: Owned) -> None:  # type: ignore[no-untyped-def]
    found = db.session.get(Organisation, organisation.ids["organisation_id"])
    create_user("consultant-b@example.org", "consultant", PASSWORD, organisations=[found])
    db.session.commit()
    reply = client.submit("/sign-in", {"email": "consultant-b@example.org", "password": PASSWORD})
    assert reply.status_code == 302, "could not sign in"


NONCE_ATTRIBUTE = re.compile(rb'nonce="([^"]+)"')
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def header_problems(where: str, reply) -> list[str]:  # type: ignore[no-untyped-def]
    """What is missing from a reply's security headers (an empty list when nothing is)."""
    problems = [f"{where}: {name} is {reply.headers.get(name)!r}, not {value!r}"
                for name, value in SECURITY_HEADERS.items() if reply.headers.get(name) != value]
    policy = reply.headers.get("Content-Security-Policy", "")
    for must in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        if must not in policy:
            problems.append(f"{where}: the Content-Security-Policy lacks {must!r}: {policy!r}")
    if "unsafe-" in policy:
        problems.append(f"{where}: the Content-Security-Policy allows something unsafe: {policy!r}")
    problems += [f"{where}: the page's nonce {nonce!r} is not in its policy"
                 for nonce in {found.decode() for found in NONCE_ATTRIBUTE.findall(reply.get_data())}
                 if f"'nonce-{nonce}'" not in policy]
    return problems


def csrf_token(client, url: str) -> str:  # type: ignore[no-untyped-def]
    match = CSRF_FIELD.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


# --- walking the URL map -----------------------------------------------------------------------


def walked_rules(app: Flask) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"), key=lambda r: r.rule)


def methods_of(rule: Rule) -> list[str]:
    return [method for method in METHODS if method in (rule.methods or ())]


def other_values(rule: Rule, name: str) -> list[str]:
    """Values for a path parameter that names no object: every choice of an ``any`` converter."""
    converter = rule._converters[name]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    if name == "number":
        return ["1"]
    pytest.fail(
        f"{rule.rule}: tests/app/test_access.py does not know the path parameter <{name}>. Create an object "
        f"for it in build() and add it to OBJECT_PARAMETERS (or to other_values), so that the access rule "
        f"is checked for this route too.",
        pytrace=False,
    )


def urls(rule: Rule, owners: dict[str, Owned]) -> Iterator[str]:
    """The rule's URL for each mix of the given values: object parameters from ``owners``."""
    others = [name for name in rule.arguments if name not in OBJECT_PARAMETERS and name != "token"]
    tokens = GARBAGE_TOKENS if "token" in rule.arguments else (None,)
    for choice in itertools.product(*(other_values(rule, name) for name in others)):
        for token in tokens:
            values = {name: owners[name].ids[name] for name in rule.arguments if name in OBJECT_PARAMETERS}
            values.update(zip(others, choice, strict=True))
            if token is not None:
                values["token"] = token
            built = rule.build(values, append_unknown=False)
            assert built is not None, f"could not build {rule.rule} from {values}"
            yield built[1]


def send(client, method: str, url: str, token: str, session_cookie: str | None = None):  # type: ignore[no-untyped-def]
    """One request as a browser would send it, with the CSRF token on anything but GET.

    ``session_cookie`` puts the signed-in session back first (a walk may well sign itself out)."""
    if session_cookie is not None:
        client.set_cookie("session", session_cookie)
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": token})


def object_parameters(rule: Rule) -> list[str]:
    return [name for name in sorted(rule.arguments) if name in OBJECT_PARAMETERS]


# --- the walks ---------------------------------------------------------------------------------


def test_the_walk_covers_the_management_routes_and_their_placeholders(app):
    endpoints = {rule.endpoint for rule in walked_rules(app)}
    assert {"workspace.organisations", "workspace.organisation", "workspace.round", "workspace.new_link",
            "workspace.close_round", "workspace.edit_round", "workspace.edit_department", "workspace.round_results",
            "workspace.department_profile", "workspace.trends", "workspace.compare", "workspace.export",
            "workspace.audit_log", "auth.sign_in", "auth.sign_out", "respondents.start"} <= endpoints


def test_signed_out_every_workspace_route_sends_you_to_sign_in_and_shows_nothing(app, client, organisations):
    a, b = organisations
    token = csrf_token(client, "/sign-in")
    before = row_counts()
    problems = []
    for rule in walked_rules(app):
        for method in methods_of(rule):
            for owner in (a, b):
                for url in urls(rule, dict.fromkeys(OBJECT_PARAMETERS, owner)):
                    reply = send(client, method, url, token)
                    body = reply.get_data()
                    where = f"{method} {url}"
                    if reply.status_code >= 500:
                        problems.append(f"{where}: {reply.status_code}")
                    problems += header_problems(where, reply)
                    if rule.rule.startswith("/manage") and (
                        reply.status_code != 302 or urlsplit(reply.headers["Location"]).path != "/sign-in"
                    ):
                        problems.append(f"{where}: {reply.status_code} to {reply.headers.get('Location')}, "
                                        f"not a redirect to /sign-in")
                    problems += [f"{where} shows {word!r}" for word in a.words + b.words if word.encode() in body]
    assert not problems, "\n".join(problems)
    assert row_counts() == before


def test_a_consultant_of_one_organisation_gets_404_for_every_object_of_another(app, client, organisations):
    a, b = organisations
    sign_in_as_consultant_of(client, b)
    token = csrf_token(client, "/sign-out")
    signed_in = client.get_cookie("session").value
    before = row_counts()
    problems, checked = [], 0
    for rule in walked_rules(app):
        names = object_parameters(rule)
        if not names:
            continue
        # Every mix of A's and B's objects in which at least one is A's.
        for owners in itertools.product((a, b), repeat=len(names)):
            if a not in owners:
                continue
            for method in methods_of(rule):
                for url in urls(rule, dict(zip(names, owners, strict=True))):
                    reply = send(client, method, url, token, signed_in)
                    checked += 1
                    if reply.status_code != 404:
                        problems.append(f"{method} {url} (an object of A): {reply.status_code}, not 404")
                    body = reply.get_data()
                    problems += [f"{method} {url} shows {word!r}" for word in a.words if word.encode() in body]
    assert not problems, "\n".join(problems)
    assert checked >= 20
    assert row_counts() == before


def test_a_consultant_never_sees_another_organisation_on_any_page_and_no_route_fails(app, client, organisations):
    a, b = organisations
    sign_in_as_consultant_of(client, b)
    token = csrf_token(client, "/sign-out")
    signed_in = client.get_cookie("session").value
    problems = []
    for rule in walked_rules(app):
        for method in methods_of(rule):
            for url in urls(rule, dict.fromkeys(OBJECT_PARAMETERS, b)):
                reply = send(client, method, url, token, signed_in)
                if reply.status_code >= 500:
                    problems.append(f"{method} {url}: {reply.status_code}")
                problems += header_problems(f"{method} {url}", reply)
                body = reply.get_data()
                problems += [f"{method} {url} shows {word!r}" for word in a.words if word.encode() in body]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
def test_token_routes_answer_404_to_tokens_nobody_was_given(app, client, organisations, signed_in):
    if signed_in:
        sign_in_as_consultant_of(client, organisations[1])
    token = csrf_token(client, "/sign-out" if signed_in else "/sign-in")
    rules = [rule for rule in walked_rules(app) if "token" in rule.arguments]
    assert rules, "no token routes found (respondents.start and respondents.resume should be there)"
    problems = []
    for rule in rules:
        for method in methods_of(rule):
            for url in urls(rule, dict.fromkeys(OBJECT_PARAMETERS, organisations[0])):
                status = send(client, method, url, token).status_code
                if status != 404:
                    problems.append(f"{method} {url}: {status}, not 404")
    assert not problems, "\n".join(problems)


def test_every_post_refuses_a_request_without_its_csrf_token_and_changes_nothing(app, client, organisations):
    """Signed in, on one's own organisation's objects: a POST without the form's token is refused."""
    own, _ = organisations
    sign_in_as_consultant_of(client, own)
    before = row_counts()
    refused = []
    for rule in walked_rules(app):
        if "POST" not in methods_of(rule):
            continue
        for url in urls(rule, dict.fromkeys(OBJECT_PARAMETERS, own)):
            reply = client.post(url, data={})
            assert reply.status_code == 400, f"POST {url} without a CSRF token answered {reply.status_code}"
            refused.append(url)
    assert row_counts() == before
    assert any("/manage/" in url for url in refused) and any(url.startswith("/s/") for url in refused)
