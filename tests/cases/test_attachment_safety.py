"""Attachments cannot hurt whoever opens them: files are served as downloads in a sandbox,
decompression-bomb and unreadable images and PDFs with active content are refused, and a request
with several file parts is refused whole rather than keeping one of them."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cases import services
from cases.models import Attachment
from cases.validators import validate_attachment
from core.exceptions import InvalidInput
from tests.factories import PNG, CaseFactory, jpeg_bytes

pytestmark = pytest.mark.django_db

PLAIN_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size (the pixels are never there): what a decompression bomb looks
    like to whoever reads its header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def refused(name: str, content: bytes) -> str:
    with translation.override("en"), pytest.raises(InvalidInput) as error:
        validate_attachment(SimpleUploadedFile(name, content))
    return error.value.fields["file"]


def test_ordinary_photos_and_plain_pdfs_are_accepted():
    assert validate_attachment(SimpleUploadedFile("a.png", PNG)) == "image/png"
    assert validate_attachment(SimpleUploadedFile("a.jpg", jpeg_bytes())) == "image/jpeg"
    assert validate_attachment(SimpleUploadedFile("a.pdf", PLAIN_PDF)) == "application/pdf"


def test_a_900_megapixel_image_is_refused_by_its_size():
    assert "megapixels" in refused("bomb.png", png_header(30_000, 30_000))


def test_an_image_just_over_the_limit_says_how_big_it_is(settings):
    settings.ATTACHMENT_MAX_PIXELS = 1_000_000

    assert "2000 × 1000 pixels" in refused("big.png", png_header(2000, 1000))


def test_an_image_that_cannot_be_read_is_refused():
    assert "cannot be read" in refused("broken.jpg", b"\xff\xd8\xff" + b"0" * 40)


@pytest.mark.parametrize(
    "pdf",
    [
        PLAIN_PDF.replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
        ),
        PLAIN_PDF.replace(b"/Type /Catalog", b"/Type /Catalog /Names << /#4AavaScript 3 0 R >>"),
        PLAIN_PDF.replace(b"/Type /Catalog", b"/Type /Catalog /AA << /O 4 0 R >>"),
        PLAIN_PDF.replace(b"endobj\n", b"endobj\n5 0 obj << /S /Launch /F (cmd.exe) >> endobj\n"),
        PLAIN_PDF.replace(
            b"endobj\n",
            b"endobj\n6 0 obj << /Filter /FlateDecode >>\nstream\n"
            + zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
            + b"\nendstream\nendobj\n",
        ),
    ],
    ids=["open-action-script", "escaped-name", "additional-actions", "launch", "compressed"],
)
def test_a_pdf_with_active_content_is_refused(pdf):
    assert "active content" in refused("letter.pdf", pdf)


def test_files_are_always_downloaded_never_rendered_as_a_page(client, handler, store):
    case = CaseFactory(store=store)
    links = []
    for name, content in (("p.png", PNG), ("l.pdf", PLAIN_PDF)):
        item = services.case_add_attachment(
            case=case, actor=handler, uploaded=SimpleUploadedFile(name, content)
        )
        links.append(f"/cases/{case.number}/attachments/{item.pk}/")
    client.force_login(handler)

    for link in links:
        response = client.get(link)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_several_file_parts_in_one_api_request_are_refused_and_nothing_is_stored(
    api, handler, store
):
    case = CaseFactory(store=store)
    client = api.as_user(handler)

    response = client.post(
        f"/api/v1/cases/{case.number}/attachments/",
        {"file": [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.png", PNG)]},
        format="multipart",
    )

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Attachment.objects.filter(case=case).exists()
