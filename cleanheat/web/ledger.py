"""The ledger (台账) as a file in the browser: upload (XLSX or CSV, GBK or UTF-8) for the same all-or-nothing
import as ``cleanheat ledger import``, export to XLSX, the empty template; and ``POST /api/v1/ledger/import``.

An upload runs as a background job in this process, in one transaction
(:func:`cleanheat.registry.services.ledger.import_file`, its six steps reported as they finish); the
browser polls the job's page (HTMX, every second) and sees the summary, the warnings, or every row and
column error (nothing stored). The job's state is a small JSON file in :data:`JOB_DIR`, so any worker
of the server answers the poll; a job whose worker stopped shows as interrupted (its transaction was
never committed). A file that finishes within :data:`WAIT_S` is answered at once.

A township clerk imports the own township only: a file with any row of another township (or the ledger
id of another township's household) is refused whole, naming the rows (403). Everyone else who may
import (county officer, administrator) imports for the county. The auditor and inspector read only.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from cleanheat.errors import InputError
from cleanheat.registry import db
from cleanheat.registry.services import ledger_view
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import reading, render, require, state, township_scope
from cleanheat.web.nav import N_

__all__ = ["EXPORTERS", "IMPORTERS", "JOB_DIR", "MAX_UPLOAD_BYTES", "STEP_LABELS", "WAIT_S", "content_disposition",
           "router"]

log = logging.getLogger(__name__)
router = APIRouter()

IMPORTERS = ("admin", "officer", "clerk")
"""Who may import a ledger file (a clerk: the own township's rows only)."""
EXPORTERS = ("admin", "officer", "clerk", "auditor")
"""Who may download the ledger (a clerk: the own township) and the template."""
JOB_DIR = Path(tempfile.gettempdir()) / "cleanheat-ledger-jobs"
"""Where the upload jobs keep their file and state (one folder per job, removed a day later)."""
WAIT_S = 2.0
"""How long an upload waits for its import before it answers with the progress page."""
STALE_S = 300.0
"""A running job whose state has not moved for this long was interrupted (its worker stopped)."""
KEEP_S = 24 * 3600.0
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""The largest ledger file taken (the county's 27,000 rows are about 4 MB as XLSX)."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEP_LABELS = {1: N_("Reading the file"), 2: N_("Checking every row"),
               3: N_("Comparing with the registry"), 4: N_("Writing households"),
               5: N_("Writing installations and acceptances"), 6: N_("Programme checks")}
"""What each step of an import does (:data:`cleanheat.registry.services.ledger.IMPORT_STEPS`); a clerk's
township check is part of reading the file."""
SUMMARY_LABELS = {"rows": N_("Rows"), "households_created": N_("Households created"),
                  "households_updated": N_("Households updated"), "households_unchanged": N_("Households unchanged"),
                  "installations_created": N_("Installations created"),
                  "installations_updated": N_("Installations updated"),
                  "acceptances_recorded": N_("Acceptances recorded"),
                  "acceptances_corrected": N_("Acceptances corrected")}
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{20,40}$")

Importer = Annotated[Principal, Depends(require(*IMPORTERS))]
Exporter = Annotated[Principal, Depends(require(*EXPORTERS))]


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the real (Chinese) name as RFC 5987 ``filename*``."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _safe_name(name: str | None) -> str:
    """The upload's own file name without folders or control characters (kept: it names the import in the
    audit log), at most 60 characters."""
    base = unicodedata.normalize("NFC", Path((name or "").replace("\\", "/")).name)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '<>:"/\\|?*').strip(" .")
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    return (stem[:60 - len(suffix)] or "ledger") + suffix


async def _save_upload(upload: UploadFile, folder: Path) -> Path:
    """The upload written to ``folder`` under its own name.

    Raises
    ------
    InputError
        No file, a file type the ledger reader does not take, or a file over :data:`MAX_UPLOAD_BYTES`.
    """
    from cleanheat.spreadsheets import SPREADSHEET_SUFFIXES

    name = _safe_name(upload.filename)
    if not upload.filename:
        raise InputError("请选择台账文件 choose a ledger file (.xlsx, .xls or .csv)", field="file")
    if Path(name).suffix not in SPREADSHEET_SUFFIXES:
        raise InputError(f"不支持的文件类型 not a ledger file: {upload.filename!r}; upload .xlsx, .xls or .csv "
                         "(UTF-8 or GBK)", field="file")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise InputError(f"文件过大 the file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", field="file")
            out.write(chunk)
    if size == 0:
        raise InputError("文件为空 the file is empty", field="file")
    return path


# --------------------------------------------------------------------------------------------
# Import: the work, the jobs
# --------------------------------------------------------------------------------------------


def _rows(errors: list[Any]) -> list[dict[str, Any]]:
    """Row errors (``RowError`` or their dicts) as the table shows them: row, column, message."""
    out = []
    for e in errors:
        d = e.as_dict() if hasattr(e, "as_dict") else dict(e)
        out.append({"row": d["row"] or "", "column": d["column"], "message": d["reason"]})
    return out


def run_import(engine: Any, path: Path, *, actor: str, township: str | None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Import ``path`` in one transaction: a clerk's township check first, then the ledger import.

    Returns ``{"outcome": "imported", "summary", "warnings"}``, ``{"outcome": "errors", "errors"}`` (the file's
    row and column errors), ``{"outcome": "refused", "errors"}`` (rows of another township) or
    ``{"outcome": "failed", "message"}`` (a file that cannot be read); nothing is stored unless imported.
    """
    from cleanheat.registry.services.ledger import LedgerImportError, import_file

    try:
        with db.session_scope(engine) as session:
            if township is not None:
                outside = ledger_view.out_of_township_rows(session=session, path=path, township=township)
                if outside:
                    raise ledger_view.ScopeError(township, outside)
            summary = import_file(session=session, path=path, actor=actor, progress=progress)
    except ledger_view.ScopeError as exc:
        return {"outcome": "refused", "errors": _rows(exc.errors), "township": township}
    except LedgerImportError as exc:
        return {"outcome": "errors", "errors": _rows(exc.errors)}
    except InputError as exc:
        return {"outcome": "failed", "message": str(exc)}
    warnings = _rows(summary.pop("warnings"))
    summary.pop("file", None)
    return {"outcome": "imported", "summary": summary, "warnings": warnings}


def _job_folder(job_id: str) -> Path:
    if not _JOB_ID.match(job_id):
        raise InputError("no such import", field="job")
    return JOB_DIR / job_id


def _write_state(job_id: str, doc: dict[str, Any]) -> None:
    from cleanheat.files import write_atomically

    doc["updated"] = time.time()
    write_atomically(_job_folder(job_id) / "state.json", orjson.dumps(doc))


def read_job(job_id: str) -> dict[str, Any] | None:
    """The state of an upload job (``None``: unknown); a running job that stopped moving is ``interrupted``."""
    try:
        doc: dict[str, Any] = orjson.loads((_job_folder(job_id) / "state.json").read_bytes())
    except (OSError, orjson.JSONDecodeError, InputError):
        return None
    if doc.get("outcome") == "running" and time.time() - float(doc.get("updated", 0)) > STALE_S:
        doc["outcome"] = "interrupted"
    return doc


def _clean_old_jobs() -> None:
    if not JOB_DIR.is_dir():
        return
    for folder in JOB_DIR.iterdir():
        try:
            if time.time() - folder.stat().st_mtime > KEEP_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def start_job(engine: Any, path: Path, *, who: Principal, job_id: str) -> threading.Thread:
    """Run the import of ``path`` (in the job's folder) in a thread, its progress in the job's state file."""
    base = {"job": job_id, "user_id": who.user_id, "file": path.name, "outcome": "running", "step": 0, "steps": 6,
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    _write_state(job_id, dict(base))

    def progress(done: int, total: int) -> None:
        _write_state(job_id, {**base, "step": done, "steps": total})

    def work() -> None:
        try:
            result = run_import(engine, path, actor=who.actor, township=township_scope(who), progress=progress)
        except Exception:  # noqa: BLE001 - reported to the user; the transaction rolled back
            log.exception("ledger import job %s failed", job_id)
            result = {"outcome": "failed", "message": "internal error: nothing was imported (see the server log)"}
        finally:
            path.unlink(missing_ok=True)
        _write_state(job_id, {**base, **result, "step": 6})

    thread = threading.Thread(target=work, name=f"ledger-import-{job_id[:8]}", daemon=True)
    thread.start()
    return thread


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def _page(request: Request, who: Principal, *, job: dict[str, Any] | None = None, message: str | None = None,
          status_code: int = 200) -> Response:
    return render(request, "ledger/index.html",
                  {"active": "/households", "scope": township_scope(who), "can_import": who.role in IMPORTERS,
                   "job": job, "message": message, "step_labels": STEP_LABELS, "summary_labels": SUMMARY_LABELS},
                  status_code=status_code)


@router.get("/ledger", include_in_schema=False)
@router.get("/ledger/import", include_in_schema=False)
def ledger_page(request: Request, who: Exporter) -> Response:
    """Import a ledger file, download the ledger or the empty template."""
    return _page(request, who)


@router.post("/ledger/import", include_in_schema=False)
async def ledger_upload(request: Request, who: Importer, file: Annotated[UploadFile, File()]) -> Response:
    """Take the file, start its import; answer with the result if it is quick, else with the progress page."""
    import asyncio

    _clean_old_jobs()
    job_id = secrets.token_urlsafe(18)
    try:
        path = await _save_upload(file, _job_folder(job_id))
    except InputError as exc:
        shutil.rmtree(JOB_DIR / job_id, ignore_errors=True)
        return _page(request, who, message=str(exc), status_code=422)
    thread = start_job(state(request).engine, path, who=who, job_id=job_id)
    deadline = time.monotonic() + WAIT_S
    while thread.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    job = read_job(job_id)
    if job is not None and job["outcome"] in ("errors", "refused", "failed"):
        status = {"errors": 422, "refused": 403, "failed": 422}[job["outcome"]]
        return _page(request, who, job=job, status_code=status)
    return RedirectResponse(f"/ledger/import/{job_id}", status_code=303)


@router.get("/ledger/import/{job_id}", include_in_schema=False)
def ledger_job(request: Request, who: Importer, job_id: str) -> Response:
    """An upload's progress (polled by HTMX while it runs) or its result. Only its uploader sees it."""
    job = read_job(job_id)
    if job is None or job.get("user_id") != who.user_id:
        return render(request, "error.html", {"status": 404, "message": "no such import"}, status_code=404)
    if request.headers.get("hx-request") == "true":
        return render(request, "ledger/_job.html", {"job": job, "step_labels": STEP_LABELS,
                                                    "summary_labels": SUMMARY_LABELS})
    return _page(request, who, job=job)


def _export_name(scope: str | None) -> tuple[str, str]:
    from cleanheat.clock import today

    day = today().isoformat()
    return f"{scope or '盐池县'}清洁取暖台账_{day}.xlsx", f"ledger-{day}.xlsx"


@router.get("/ledger/export.xlsx", include_in_schema=False)
def ledger_export(request: Request, who: Exporter) -> Response:
    """The ledger as XLSX (the template's columns, payment and 状态; it imports back), streamed as a download.
    A clerk gets the own township's households."""
    scope = township_scope(who)
    folder = Path(tempfile.mkdtemp(prefix="cleanheat-export-"))
    path = folder / "ledger.xlsx"
    try:
        with reading(request) as s:
            ledger_view.export_township_xlsx(session=s, path=path, township=scope)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    name, fallback = _export_name(scope)
    return FileResponse(path, media_type=XLSX, headers={"Content-Disposition": content_disposition(name, fallback)},
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


@router.get("/ledger/template.xlsx", include_in_schema=False)
def ledger_template(request: Request, who: Exporter) -> Response:
    """The empty ledger template (sheets 台账, 示例, 说明), as ``cleanheat ledger template`` writes it."""
    from cleanheat.registry.services.ledger import write_template

    folder = Path(tempfile.mkdtemp(prefix="cleanheat-template-"))
    path = folder / "template.xlsx"
    write_template(path)
    return FileResponse(path, media_type=XLSX,
                        headers={"Content-Disposition": content_disposition("清洁取暖台账模板.xlsx",
                                                                            "ledger-template.xlsx")},
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


@router.post("/api/v1/ledger/import", tags=["ledger"], summary="Import a ledger file (all or nothing)")
async def api_ledger_import(request: Request, who: Importer, file: Annotated[UploadFile, File()]) -> Response:
    """Import a ledger file (``multipart/form-data``, field ``file``: .xlsx, .xls or .csv in UTF-8 or GBK), as
    ``cleanheat ledger import --json``: 200 ``{"imported": true, …counts, "warnings"}``; 422
    ``{"imported": false, "errors": [{"row", "column", "reason"}]}`` and nothing stored; 403 with the rows
    when a township clerk's file holds another township's rows.
    """
    from starlette.concurrency import run_in_threadpool

    folder = Path(tempfile.mkdtemp(prefix="cleanheat-api-import-"))
    try:
        try:
            path = await _save_upload(file, folder)
        except InputError as exc:
            return _json({"imported": False, "detail": str(exc), "errors": []}, 422)
        result = await run_in_threadpool(run_import, state(request).engine, path, actor=who.actor,
                                         township=township_scope(who))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def api_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"row": r["row"], "column": r["column"], "reason": r["message"]} for r in rows]

    outcome = result["outcome"]
    if outcome == "imported":
        return _json({"imported": True, **result["summary"], "warnings": api_rows(result["warnings"])})
    if outcome == "refused":
        return _json({"imported": False, "detail": f"rows outside {result['township']}: nothing imported",
                      "errors": api_rows(result["errors"])}, 403)
    if outcome == "errors":
        return _json({"imported": False, "errors": api_rows(result["errors"])}, 422)
    return _json({"imported": False, "detail": result["message"], "errors": []}, 422)


def _json(doc: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(doc), status_code=status_code, media_type="application/json")
