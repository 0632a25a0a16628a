"""Evidence and photos: only images or PDF, by content; stored under a random name; served only through
the scoped, logged download view as an attachment; /media/ is never served."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from institutions import services
from institutions.models import Hazard, HazardState
from relief.models import PersonalDataReveal
from relief.uploads import sniff
from tests.institutions.factories import all_pass

#: a whole 1×1 PNG: with Pillow installed (reportlab needs it) an image must decode, not just start right
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x03\x00\x08\xfc\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 "
HTML = b"<html><script>alert(document.cookie)</script></html>"


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def rectifying(hazard, users):
    return services.hazard_start(
        actor=users["county"], hazard=hazard, owner=users["township"], measures="更换线路"
    )


def download(obj, field: str) -> str:
    return reverse("file-download", args=[obj._meta.label_lower, obj.pk, field])


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PNG, "png"), (PDF, "pdf"), (WEBP, "webp"), (b"\xff\xd8\xff\xe0", "jpeg"), (HTML, None), (b"", None)],
)
def test_types_are_told_by_content(data, kind):
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("evil.html", HTML, "text/html"),
        ("evil.png", HTML, "image/png"),  # the name and the declared type do not count
        ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
    ],
)
def test_evidence_that_is_not_an_image_or_pdf_is_refused(users, hazard, name, data, content_type):
    hazard = rectifying(hazard, users)
    with pytest.raises(ValidationError) as exc:
        services.hazard_rectify(
            actor=users["township"], hazard=hazard, evidence=upload(name, data, content_type)
        )
    assert "只能上传图片（JPG、PNG、WebP）或 PDF 文件" in str(exc.value)
    hazard.refresh_from_db()
    assert hazard.state == HazardState.RECTIFYING and not hazard.evidence


@pytest.mark.parametrize(
    ("name", "data", "ext"), [("整改前后.png", PNG, ".png"), ("report.PNG.pdf", PDF, ".pdf")]
)
def test_evidence_is_accepted_and_renamed(users, hazard, name, data, ext):
    hazard = rectifying(hazard, users)
    services.hazard_rectify(actor=users["township"], hazard=hazard, evidence=upload(name, data))
    stored = Hazard.objects.get(pk=hazard.pk).evidence.name
    assert re.fullmatch(r"institutions/hazards/\d{4}/\d{2}/[0-9a-f]{32}" + re.escape(ext), stored)


def test_a_pdf_named_jpg_keeps_the_detected_extension(users, hazard):
    hazard = rectifying(hazard, users)
    services.hazard_rectify(actor=users["township"], hazard=hazard, evidence=upload("photo.jpg", PDF))
    assert Hazard.objects.get(pk=hazard.pk).evidence.name.endswith(".pdf")


def test_inspection_photo_must_be_an_image_or_pdf(users, institution, checklist):
    template, items = checklist
    results = all_pass(items)
    results[0] = services.ResultInput(
        item_id=items[0].pk, result="pass", photo=upload("x.html", HTML, "text/html")
    )
    with pytest.raises(ValidationError, match="只能上传图片"):
        services.inspection_record(
            actor=users["county"], institution=institution, template=template, results=results
        )
    results[0] = services.ResultInput(item_id=items[0].pk, result="pass", photo=upload("x.png", PNG))
    inspection = services.inspection_record(
        actor=users["county"], institution=institution, template=template, results=results
    )
    photo = inspection.results.get(item=items[0]).photo.name
    assert re.fullmatch(r"institutions/inspections/\d{4}/\d{2}/[0-9a-f]{32}\.png", photo)


@pytest.fixture
def with_evidence(users, hazard):
    hazard = rectifying(hazard, users)
    services.hazard_rectify(actor=users["township"], hazard=hazard, evidence=upload("a.png", PNG))
    return Hazard.objects.get(pk=hazard.pk)


def test_download_is_an_attachment_not_sniffed_and_logged(as_user, users, with_evidence):
    response = as_user(users["county"]).get(download(with_evidence, "evidence"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"
    log = PersonalDataReveal.objects.get()
    assert (log.user, log.field, log.subject_id) == (users["county"], "evidence", str(with_evidence.pk))
    assert log.subject_type == ContentType.objects.get_for_model(Hazard)
    assert log.region_id == with_evidence.institution.region_id


def test_download_answers_404_outside_the_region_and_asks_anonymous_to_log_in(
    as_user, client, users, with_evidence
):
    url = download(with_evidence, "evidence")
    assert as_user(users["other_county"]).get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response.url
    # a field that is not registered for download, or a model that is not, is not found either
    assert as_user(users["county"]).get(download(with_evidence, "title")).status_code == 404
    assert (
        as_user(users["county"])
        .get(reverse("file-download", args=["people.person", 1, "id_number"]))
        .status_code
        == 404
    )
    assert not PersonalDataReveal.objects.exists()


def test_inspection_photo_download_is_scoped(as_user, users, institution, checklist):
    template, items = checklist
    results = all_pass(items)
    results[0] = services.ResultInput(item_id=items[0].pk, result="pass", photo=upload("x.png", PNG))
    inspection = services.inspection_record(
        actor=users["county"], institution=institution, template=template, results=results
    )
    row = inspection.results.get(item=items[0])
    page = as_user(users["county"]).get(reverse("institutions:inspection-detail", args=[inspection.pk]))
    assert download(row, "photo") in page.content.decode()
    assert as_user(users["county"]).get(download(row, "photo")).status_code == 200
    assert as_user(users["other_county"]).get(download(row, "photo")).status_code == 404


def test_admin_links_inspection_photos_to_the_download_view(as_user, users, institution, checklist):
    template, items = checklist
    results = all_pass(items)
    results[0] = services.ResultInput(item_id=items[0].pk, result="pass", photo=upload("x.png", PNG))
    inspection = services.inspection_record(
        actor=users["county"], institution=institution, template=template, results=results
    )
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save(update_fields=["is_staff", "is_superuser"])
    page = as_user(users["admin"]).get(f"/admin/institutions/inspection/{inspection.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert download(inspection.results.get(item=items[0]), "photo") in html
    assert "/media/" not in html


def test_media_is_never_served_and_pages_link_to_the_download_view(as_user, client, users, with_evidence):
    assert client.get("/media/" + with_evidence.evidence.name).status_code == 404
    assert as_user(users["county"]).get("/media/" + with_evidence.evidence.name).status_code == 404
    page = as_user(users["county"]).get(reverse("institutions:hazard-detail", args=[with_evidence.pk]))
    html = page.content.decode()
    assert download(with_evidence, "evidence") in html
    assert "/media/" not in html


def test_api_gives_the_download_address(as_user, users, with_evidence):
    response = as_user(users["county"]).get(reverse("api:hazard-detail", args=[with_evidence.pk]))
    assert response.json()["evidence"].endswith(download(with_evidence, "evidence"))
