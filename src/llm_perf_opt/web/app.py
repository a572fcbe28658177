"""The ASGI app (Litestar): the ``/v1`` API over :class:`~llm_perf_opt.web.engine.AnalysisStore`, its OpenAPI
document at ``/schema/openapi.json`` (generated from the attrs records; no documentation UI, which would load
scripts from elsewhere), and the web page at ``/`` (static files of this package, working offline).

Example
-------
>>> import tempfile
>>> from litestar.testing import TestClient
>>> with TestClient(create_app(tempfile.mkdtemp())) as client:
...     client.get("/v1/runtimes").json()[0]["name"]
'fused'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, cast

import attrs
from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.params import FromPath, JSONBody
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_413_REQUEST_ENTITY_TOO_LARGE

import llm_perf_opt
from llm_perf_opt.contracts.converter import unstructure
from llm_perf_opt.data.analytic_report import AnalyticModelReport
from llm_perf_opt.data.analyzer_summary import AnalyzerSummary
from llm_perf_opt.utils.cli_boundary import one_line
from llm_perf_opt.web.engine import (
    DEFAULT_MAX_RUNS,
    MAX_BODY_BYTES,
    TIME_FILE,
    AnalysisStore,
    RequestError,
    hardware_entries,
    model_entries,
    parse_request,
    runtime_entries,
    workload_entries,
)
from llm_perf_opt.web.models import (
    AnalysisRequest,
    AnalysisStatus,
    ErrorBody,
    HardwareEntry,
    Headline,
    ModelEntry,
    NamedEntry,
    SweepRequest,
    SweepResult,
    TimeBreakdown,
    WorkloadsEntry,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The web page: index.html, app.js, style.css and the vendored chart library."""
OPENAPI_PATH = "/schema"
"""The OpenAPI document is served at ``/schema/openapi.json``."""
_REQUEST_FIELDS = frozenset(a.name for a in (*attrs.fields(AnalysisRequest), *attrs.fields(SweepRequest)))


def _error(status: int, field: str | None, detail: str) -> Response[Any]:
    return Response(content=unstructure(ErrorBody(status_code=status, field=field, detail=detail)), status_code=status)


def _request_error(_: Request[Any, Any, Any], exc: RequestError) -> Response[Any]:
    return _error(exc.status, exc.field, exc.detail)


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """The framework's own body checks (not JSON, wrong types): 422 naming the field, like the service's."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    keys = [str(e.get("key")) for e in extra if isinstance(e, dict) and e.get("key")]
    messages = [str(e.get("message")) for e in extra if isinstance(e, dict) and e.get("message")]
    field = keys[0] if keys and keys[0] in _REQUEST_FIELDS else None
    detail = "; ".join(messages) or exc.detail
    return _error(422, field, f"{field}: {detail}" if field else f"body: {detail}")


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        return _error(exc.status_code, None, f"body: at most {MAX_BODY_BYTES:,} bytes")
    return _error(exc.status_code, None, one_line(str(exc.detail)))


def _json_file(content: bytes, media_type: str) -> Response[Any]:
    return Response(content=content, media_type=media_type, status_code=HTTP_200_OK)


def create_app(cache_dir: str | os.PathLike[str], *, max_runs: int = DEFAULT_MAX_RUNS, debug: bool = False) -> Litestar:
    """The app, its runs cached under ``cache_dir`` (the only place it writes)."""
    store = AnalysisStore(cache_dir, max_runs=max_runs)
    hardware, runtimes, workloads, models = hardware_entries(), runtime_entries(), workload_entries(), model_entries()

    @post("/v1/analyses", status_code=HTTP_201_CREATED, summary="Run (or find) an analysis")
    async def create_analysis(request: Request[Any, Any, Any], data: JSONBody[AnalysisRequest]) -> AnalysisStatus:
        """Takes the CLI's inputs (packaged names only) and returns the run id with links; the same inputs give
        the same id, computed once and cached. Bad input: 422 naming the field."""
        parsed = parse_request(await request.json())
        run_id, cached = await _in_thread(store.analyze, parsed)
        return store.status(run_id, cached=cached)

    @get("/v1/analyses/{run_id:str}", summary="An analysis: status and links", sync_to_thread=True)
    def get_analysis(run_id: FromPath[str]) -> AnalysisStatus:
        return store.status(run_id)

    @get("/v1/analyses/{run_id:str}/summary", summary="summary.json (the summary contract)", sync_to_thread=True)
    def get_summary(run_id: FromPath[str]) -> Response[AnalyzerSummary]:
        return cast("Response[AnalyzerSummary]", _json_file(*store.read(run_id, "summary.json")))

    @get(
        "/v1/analyses/{run_id:str}/report",
        summary="The full report (report.json; report.yaml for format yaml)",
        sync_to_thread=True,
    )
    def get_report(run_id: FromPath[str]) -> Response[AnalyticModelReport]:
        return cast("Response[AnalyticModelReport]", _json_file(*store.report(run_id)))

    @get("/v1/analyses/{run_id:str}/headline", summary="The answer per page, as the CLI prints it", sync_to_thread=True)
    def get_headline(run_id: FromPath[str]) -> Headline:
        return store.headline(run_id)

    @get("/v1/analyses/{run_id:str}/time", summary="Where the time goes, per stage", sync_to_thread=True)
    def get_time(run_id: FromPath[str]) -> Response[TimeBreakdown]:
        return cast("Response[TimeBreakdown]", _json_file(*store.read(run_id, TIME_FILE)))

    @get("/v1/analyses/{run_id:str}/files/{name:str}", summary="Download one file of an analysis", sync_to_thread=True)
    def get_file(run_id: FromPath[str], name: FromPath[str]) -> Response[bytes]:
        content, media_type = store.read(run_id, name)
        return Response(
            content=content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{run_id}-{name}"'},
        )

    @post("/v1/sweeps", status_code=HTTP_200_OK, summary="A small sweep: one analysis per combination")
    async def create_sweep(request: Request[Any, Any, Any], data: JSONBody[SweepRequest]) -> SweepResult:
        """At most 16 points (the product of the listed values); each point is an analysis like
        ``POST /v1/analyses`` with ``base`` and the point's values."""
        parsed = parse_request(await request.json(), SweepRequest)
        return cast(SweepResult, await _in_thread(store.sweep, parsed))

    @get("/v1/hardware", summary="Packaged GPU entries", sync_to_thread=False)
    def get_hardware() -> list[HardwareEntry]:
        return hardware

    @get("/v1/runtimes", summary="Packaged runtime profiles", sync_to_thread=False)
    def get_runtimes() -> list[NamedEntry]:
        return runtimes

    @get("/v1/workloads", summary="Packaged workload profiles and resolution modes", sync_to_thread=False)
    def get_workloads() -> WorkloadsEntry:
        return workloads

    @get("/v1/models", summary="Packaged models a request may name", sync_to_thread=False)
    def get_models() -> list[ModelEntry]:
        return models

    page = create_static_files_router(path="/", directories=[STATIC_DIR], html_mode=True, include_in_schema=False)
    return Litestar(
        route_handlers=[
            create_analysis,
            get_analysis,
            get_summary,
            get_report,
            get_time,
            get_headline,
            get_file,
            create_sweep,
            get_hardware,
            get_runtimes,
            get_workloads,
            get_models,
            page,
        ],
        plugins=[AttrsSchemaPlugin()],
        exception_handlers={
            RequestError: _request_error,
            ValidationException: _validation_error,
            HTTPException: _http_error,
        },
        openapi_config=OPENAPI_CONFIG,
        request_max_body_size=MAX_BODY_BYTES,
        debug=debug,
    )


OPENAPI_CONFIG = OpenAPIConfig(
    title="llm-perf-opt analyzer",
    version=llm_perf_opt.__version__,
    description="DeepSeek-OCR's compute, memory traffic, memory and predicted time, over HTTP (docs/http.md).",
    path=OPENAPI_PATH,
    render_plugins=[JsonRenderPlugin()],
)


def openapi_json() -> str:
    """The OpenAPI document the app serves (``docs/openapi.json`` is this text, kept current by
    ``python -m llm_perf_opt.regen``): sorted keys, two-space indent."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:  # the app is built, never run: nothing is written there
        schema = create_app(cache).openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


async def _in_thread(fn: Any, arg: Any) -> Any:
    """``fn(arg)`` in a worker thread (the analysis is CPU work; the event loop keeps answering)."""
    from anyio import to_thread

    return await to_thread.run_sync(fn, arg)
