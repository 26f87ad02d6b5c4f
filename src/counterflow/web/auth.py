"""Signing in and out of the UI.

A failed sign-in says only "unknown user or wrong password" (the library does the same work
either way); every sign-in, failed sign-in and sign-out is in the audit trail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from counterflow.api.case_routes import case_stores
from counterflow.api.security import audit, service_of
from counterflow.cases.sessions import LIFETIME, same_token, sign_in, sign_out
from counterflow.errors import AuthenticationError, PermissionDeniedError
from counterflow.web.render import render
from counterflow.web.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    find_viewer,
    login_target,
    new_login_token,
    session_token,
    web_principal,
)

router = APIRouter(prefix="/ui", include_in_schema=False)

#: the sign-in form's token lives as long as a person may take to type a password
_LOGIN_TOKEN_SECONDS = 30 * 60


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/ui",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def _login_page(
    request: Request, next_path: str, *, message: str = "", username: str = "", status: int = 200
) -> HTMLResponse:
    token = new_login_token()
    page = render(
        request,
        "login.html",
        None,
        status=status,
        login_token=token,
        next_path=login_target(next_path),
        message=message,
        username=username,
    )
    _cookie(page, LOGIN_COOKIE, token, _LOGIN_TOKEN_SECONDS)
    return page


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/ui/") -> Response:
    if find_viewer(request) is not None:
        return RedirectResponse(login_target(next), status_code=303)
    return _login_page(request, next)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not same_token(cookie, csrf):
        return _login_page(
            request,
            next,
            message="The sign-in form had expired; please try again.",
            username=username,
            status=403,
        )
    store = case_stores(request, service_of(request)).write()
    try:
        token, session = sign_in(store, username, password)
    except (AuthenticationError, PermissionDeniedError) as exc:
        audit(request, "web sign-in refused", None, user=username[:64], reason=str(exc))
        message = (
            "This user is disabled."
            if isinstance(exc, PermissionDeniedError)
            else "Unknown user or wrong password."
        )
        return _login_page(request, next, message=message, username=username, status=401)
    principal = web_principal(session.user, session.role)
    audit(request, "web sign-in", principal)
    response = RedirectResponse(login_target(next), status_code=303)
    _cookie(response, SESSION_COOKIE, token, int(LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/ui")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    viewer = find_viewer(request)
    if viewer is not None and same_token(viewer.csrf, csrf):
        store = case_stores(request, service_of(request)).write()
        sign_out(store, session_token(request))
        principal = viewer.principal
        audit(request, "web sign-out", principal)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response
