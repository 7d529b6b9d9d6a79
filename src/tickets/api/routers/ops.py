"""Operations: liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tickets.api.auth.dependencies import Services
from tickets.api.problems import problem
from tickets.api.schemas import ProblemOut

router = APIRouter(tags=["operations"])


@router.get("/health/live", name="health_live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    name="health_ready",
    summary="Dependencies are healthy (503 with reasons if not)",
    responses={
        503: {
            "model": ProblemOut,
            "description": "`service.not_ready`, with `reasons`: what is unhealthy",
        }
    },
)
async def ready(services: Services) -> JSONResponse:
    reasons = await services.readiness()
    if reasons:
        return problem(503, "service.not_ready", "Not ready", "; ".join(reasons), reasons=reasons)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(services: Services) -> Response:
    return Response(generate_latest(services.registry), media_type=CONTENT_TYPE_LATEST)
