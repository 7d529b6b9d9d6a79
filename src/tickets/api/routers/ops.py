"""Operations: the index at /, liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tickets.api.auth.dependencies import Services
from tickets.api.ops_schemas import IndexLinks, IndexOut, LiveOut
from tickets.api.problems import problem
from tickets.api.schemas import ProblemOut
from tickets.version import version

router = APIRouter(tags=["operations"])
LINKS = IndexLinks(
    docs="/docs",
    openapi="/openapi.json",
    live="/health/live",
    ready="/health/ready",
    metrics="/metrics",
)


@router.get("/", name="index", summary="What this service is, and where to start")
async def index() -> IndexOut:
    return IndexOut(name="tickets", version=version(), links=LINKS)


@router.get("/health/live", name="health_live", summary="The process is up")
async def live() -> LiveOut:
    return LiveOut(status="ok")


@router.get("/health", include_in_schema=False)
async def health() -> JSONResponse:
    """The guessable path: two checks answer different questions, so rather than pick
    one for the caller (a load balancer sending traffic on mere liveness), name both."""
    return problem(
        404,
        "route.not_found",
        "Not Found",
        "health has two checks: /health/live (the process is up) and /health/ready "
        "(it can serve: database reachable, outbox moving)",
        see=[LINKS.live, LINKS.ready],
    )


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
