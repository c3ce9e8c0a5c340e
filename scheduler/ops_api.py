"""Operations endpoints: ``GET /metrics`` (Prometheus text) and ``GET /healthz`` (200 or 503 JSON).

``/metrics`` describes the fleet (display counts, source names), so it answers
only a loopback client that came through no proxy (no X-Forwarded-For/Forwarded
header) or a request bearing ``Authorization: Bearer <metrics_token>``.
``/healthz`` says only ok/failing per check, for load balancers and watchdogs.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from scheduler.errors import error_response
from scheduler.metrics import Metrics
from scheduler.service import Service
from signage import __version__

router = APIRouter(tags=["ops"])
DB_CHECK_TIMEOUT_S = 5.0
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _loopback_direct(request: Request) -> bool:
    peer = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False
    return loopback and not any(h in request.headers for h in PROXY_HEADERS)


def _bearer_ok(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    service: Service = request.app.state.service
    token = service.config.metrics_token
    if not _bearer_ok(request, token) and not _loopback_direct(request):
        if request.headers.get("authorization"):
            return error_response(401, "invalid metrics token", field="Authorization")
        hint = "send Authorization: Bearer <metrics_token>" if token else "set metrics_token in the scheduler config"
        return error_response(403, f"/metrics answers loopback clients only; {hint}", field="Authorization")
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _check_database(service: Service) -> dict[str, Any]:
    if not service.lock.acquire(timeout=DB_CHECK_TIMEOUT_S):
        return {"ok": False, "error": f"store busy for more than {DB_CHECK_TIMEOUT_S:.0f} s"}
    try:
        service.db.execute("select count(*) from displays").fetchone()
    except Exception as exc:  # any store fault is what this check reports
        return {"ok": False, "error": str(exc)}
    finally:
        service.lock.release()
    return {"ok": True}


def _check_signing_key(service: Service) -> dict[str, Any]:
    try:
        key = service.keyring.active
        probe = b"healthz"
        key.public_key.verify(base64.b64decode(key.sign(probe)), probe)
        if not (service.keyring.keys_dir / f"{key.key_id}.pem").is_file():
            return {"ok": False, "key_id": key.key_id, "error": "the key file is gone: a restart could not sign"}
    except Exception as exc:  # a broken key in any way
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "key_id": key.key_id}


def _check_publish(metrics: Metrics) -> dict[str, Any]:
    last = metrics.last_publish
    if last is None:
        return {"ok": True, "last": None}
    out: dict[str, Any] = {
        "ok": last.ok, "last_at_unix_s": round(last.at_s, 3), "duration_s": round(last.duration_s, 3)
    }
    if last.error:
        out["error"] = last.error
    return out


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> JSONResponse:
    """The store answers, the signing key signs, the last publish succeeded: 200, else 503."""
    service: Service = request.app.state.service
    checks = {
        "database": _check_database(service),
        "signing_key": _check_signing_key(service),
        "last_publish": _check_publish(request.app.state.metrics),
    }
    ok = all(check["ok"] for check in checks.values())
    return JSONResponse({"ok": ok, "version": __version__, "checks": checks}, status_code=200 if ok else 503)


