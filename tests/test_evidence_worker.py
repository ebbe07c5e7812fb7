"""Photos through the evidence queue: quarantine, the worker's job, refusals, the sweeper, pages that say so."""

from __future__ import annotations

import html
import io
import re
import struct
import zlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from saas.extensions import db, redis
from saas.models.base import utcnow
from saas.models.case import CaseEvent, Evidence
from saas.queues import evidence_wake_key, get_queue
from tenants.scoping import cross_tenant
from tests.factories import csrf_token, login
from tests.test_cases import PASSWORD, _case, _jpeg, file_case, shop  # noqa: F401  (shop is a fixture)
from workers import evidence as evidence_worker
from workers.worker import build_worker


def _rows() -> list[Evidence]:
    db.session.rollback()
    with cross_tenant("test"):
        return list(db.session.scalars(select(Evidence).order_by(Evidence.id)))


def _files(app) -> list[str]:
    """Files under the upload root (shared by the session's tests: compare with what was there before)."""
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _new_files(app, before) -> list[str]:
    return [f for f in _files(app) if f not in before]


def _run_worker(app) -> None:
    with app.app_context():
        build_worker(("evidence",)).work(burst=True)


def _send(client, number: str, files, text="照片如下") -> object:
    token = csrf_token(client, f"/voltmart/track/{number}")
    return client.post(
        f"/voltmart/track/{number}/message",
        content_type="multipart/form-data",
        data={"text": text, "csrf_token": token, "evidence": [(io.BytesIO(content), name) for name, content in files]},
    )


def _png_cut(width: int = 300, height: int = 200) -> bytes:
    """A PNG whose header is fine and whose pixel data stops short: only decoding finds out."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def _filed(app, client):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    return number, _case(app, number)


def test_a_photo_waits_in_quarantine_then_the_worker_shows_it(app, client, shop):
    number, case = _filed(app, client)
    r = _send(client, number, [("坏了.jpg", _jpeg(exif_gps=True))])
    assert r.status_code == 302
    with app.app_context():
        [row] = _rows()
        assert row.status == "processing" and row.path.startswith("quarantine/")
        assert redis.client.exists(evidence_wake_key(row.id))  # queued once, with its mark
        quarantined = row.path
    page = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    assert "坏了.jpg（处理中…）" in page and f"/evidence/{row.id}" not in page
    assert client.get(f"/voltmart/track/{number}/evidence/{row.id}").status_code == 404  # never the original
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    assert "坏了.jpg（处理中…）" in agent.get(f"/voltmart/console/cases/{case.id}").get_data(as_text=True)
    assert agent.get(f"/voltmart/console/evidence/{row.id}").status_code == 404  # staff neither

    _run_worker(app)
    with app.app_context():
        [row] = _rows()
        assert row.status == "ready" and row.path == quarantined.removeprefix("quarantine/")
        assert row.lease_expires_at is None and row.attempts == 1
    assert quarantined not in _files(app)
    assert row.path in _files(app) and row.path + ".coarse.jpg" in _files(app)
    page = client.get(f"/voltmart/track/{number}").get_data(as_text=True)  # the cached page was dropped
    assert "处理中" not in page and re.search(rf'<img src="[^"]*/evidence/{row.id}"', page)
    served = client.get(f"/voltmart/track/{number}/evidence/{row.id}")
    assert served.status_code == 200 and b"Exif" not in served.data
    assert agent.get(f"/voltmart/console/evidence/{row.id}").status_code == 200


def test_the_job_is_idempotent(app, client, shop):
    number, _case_ = _filed(app, client)
    before = set(_files(app))
    _send(client, number, [("a.png", _jpeg())])
    with app.app_context():
        [row] = _rows()
        assert evidence_worker.process(row.id) == "ready"
        first = _rows()[0]
        assert evidence_worker.process(row.id) == "skipped"  # a duplicate job: nothing happens
        again = _rows()[0]
        assert (again.status, again.path, again.sha256, again.attempts) == ("ready", first.path, first.sha256, 1)
    assert sorted(_new_files(app, before)) == [first.path, first.path + ".coarse.jpg"]


def test_a_file_the_worker_refuses_shows_the_reason_to_consumer_and_staff(app, client, shop):
    number, case = _filed(app, client)
    before = set(_files(app))
    assert _send(client, number, [("cut.png", _png_cut())]).status_code == 302  # the header is fine
    _run_worker(app)
    with app.app_context():
        [row] = _rows()
        assert (row.status, row.refusal) == ("refused", "corrupt")
    assert _new_files(app, before) == []  # a refused original is not kept
    page = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    assert "「cut.png」已损坏或不完整，无法打开" in page
    assert client.get(f"/voltmart/track/{number}/evidence/{row.id}").status_code == 404
    agent = app.test_client()
    login(agent, "agent@voltmart.demo", PASSWORD)
    staff_page = agent.get(f"/voltmart/console/cases/{case.id}").get_data(as_text=True)
    assert "「cut.png」已损坏或不完整" in staff_page
    english = agent.get(f"/voltmart/console/cases/{case.id}?lang=en").get_data(as_text=True)
    assert '"cut.png" is damaged or incomplete' in html.unescape(english)


def test_too_large_dimensions_are_refused_in_the_request_and_nothing_is_kept(app, client, shop):
    number, case = _filed(app, client)
    before = set(_files(app))
    with app.app_context(), cross_tenant("test"):
        events_before = db.session.scalar(select(func.count()).select_from(CaseEvent))
    ok = ("ok.jpg", _jpeg())
    # 16383 x 3000: the reported bomb's dimensions, as a small PNG header.
    ihdr = struct.pack(">IIBBBBB", 16383, 3000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    r = _send(client, number, [ok, ("w.png", bomb)], text="看图")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "「w.png」图片尺寸过大（最大 8192 × 8192 像素" in page and "10 MB" not in page
    assert re.search(r'<input checked id="sms" name="sms" type="checkbox"', page)  # still subscribed, as before
    assert "看图" in page  # the message is kept in its box, to send again without the file
    with app.app_context(), cross_tenant("test"):
        assert _rows() == []
        assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == events_before  # no message either
        assert get_queue("evidence").count == 0
    assert _new_files(app, before) == []


def test_the_sweeper_wakes_photos_whose_job_was_lost_or_whose_worker_died(app, client, shop):
    number, _c = _filed(app, client)
    _send(client, number, [("a.jpg", _jpeg()), ("b.jpg", _jpeg("blue"))])
    with app.app_context():
        redis.client.flushdb()  # the jobs and their marks are gone; the rows are the record
        a, b = _rows()
        # b's worker claimed it and died: its lease runs out.
        db.session.execute(
            update(Evidence)
            .where(Evidence.id == b.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1), attempts=1)
            .execution_options(cross_tenant="test")
        )
        db.session.commit()
        assert evidence_worker.sweep() == 2
        assert evidence_worker.sweep() == 0  # marked: not woken twice
    _run_worker(app)
    with app.app_context():
        assert [(r.status, r.attempts) for r in _rows()] == [("ready", 1), ("ready", 2)]
        assert evidence_worker.sweep() == 0


def test_a_live_lease_is_not_taken_over(app, client, shop):
    number, _c = _filed(app, client)
    _send(client, number, [("a.jpg", _jpeg())])
    with app.app_context():
        [row] = _rows()
        assert evidence_worker.claim(row.id) is not None  # another worker is on it
        assert evidence_worker.process(row.id) == "skipped"
        redis.client.flushdb()
        assert evidence_worker.sweep() == 0
        assert _rows()[0].status == "processing"


def test_a_file_that_keeps_stopping_the_worker_ends_refused(app, client, shop):
    number, _c = _filed(app, client)
    _send(client, number, [("poison.jpg", _jpeg())])
    with app.app_context():
        [row] = _rows()
        db.session.execute(
            update(Evidence)
            .where(Evidence.id == row.id)
            .values(attempts=evidence_worker.MAX_ATTEMPTS, lease_expires_at=utcnow() - timedelta(seconds=1))
            .execution_options(cross_tenant="test")
        )
        db.session.commit()
        assert evidence_worker.process(row.id) == "refused"
        [row] = _rows()
        assert (row.status, row.refusal) == ("refused", "failed")
    assert row.path in _files(app)  # kept for a person to look at, served to nobody
    page = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    assert "「poison.jpg」无法处理" in page


def test_housekeeping_knows_every_file_of_a_row(app, client, shop):
    """Retention removes the file, the supervisors' rendition and an original a dying worker left in quarantine."""
    from saas.services import case_evidence

    number, _c = _filed(app, client)
    _send(client, number, [("a.jpg", _jpeg())])
    with app.app_context():
        [row] = _rows()
        quarantined = case_evidence.file_path(row)
        original = quarantined.read_bytes()
        assert evidence_worker.process(row.id) == "ready"
        [row] = _rows()
        quarantined.write_bytes(original)  # as if the worker died right after its commit
        paths = case_evidence.file_paths(row)
    assert quarantined in paths and all(p.is_file() for p in paths) and len(paths) == 3


def test_a_worker_started_without_queues_listens_for_photos_and_the_clock_sweeps_them(app):
    from workers.scheduler import PERIODIC

    with app.app_context():
        assert "evidence" in build_worker().queue_names()  # `flask worker`, as `make run` and deployments start it
    assert ("workers.jobs.sweep_evidence", "default") in PERIODIC  # not queued behind the photos it looks after


def test_an_image_built_from_bytes_is_not_shown_uncleaned(app, client, shop):
    """Code that keeps an upload's bytes (say, across the intake's eligibility check) and builds the
    CheckedFile again gets the worker's cleaning unless it says the bytes are clean."""
    from saas.evidence import CheckedFile
    from saas.services import case_evidence

    number, case = _filed(app, client)
    with app.app_context(), cross_tenant("test"):
        from saas.models.case import Case

        row = case_evidence.attach(
            db.session.get(Case, case.id),
            [CheckedFile("kept.jpg", "image", "image/jpeg", ".jpg", _jpeg(exif_gps=True))],
            uploaded_by="consumer",
        )[0]
        db.session.commit()
        assert row.status == "processing" and row.path.startswith("quarantine/")
