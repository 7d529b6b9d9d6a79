"""Bodies of the operations routes that have more than a status."""

from typing import Literal

from pydantic import BaseModel, Field


class IndexLinks(BaseModel):
    docs: str = Field(description="interactive API documentation (Swagger UI)")
    openapi: str = Field(description="the OpenAPI document")
    live: str = Field(description="liveness: the process is up")
    ready: str = Field(description="readiness: the database (and broker) answer")
    metrics: str = Field(description="Prometheus metrics")


class IndexOut(BaseModel):
    name: str
    version: str = Field(description="the installed package's version")
    links: IndexLinks


class LiveOut(BaseModel):
    status: Literal["ok"]
