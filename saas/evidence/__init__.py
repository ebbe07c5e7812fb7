"""Evidence uploads: type and size checks by content, header-only dimension checks, cleaning and safe storage.

Pure helpers (the standard library and Pillow only), below the models: nothing here knows
a case, a tenant or the database. `saas.services.case_evidence` attaches files to cases and
the evidence worker (`workers/evidence.py`) cleans them.

- `formats`: what an upload may be (formats, limits, the checked and stored file);
- `refusals`: why one is refused (a stable code and the message in both UI languages);
- `checks`: checking in the request (`check_upload`), cleaning in the worker (`clean_image`);
- `storage`: writing under a root with random names, reading back without leaving it.
"""

from saas.evidence.checks import COARSE_SIDE, check_upload, check_uploads, clean_image, coarsened
from saas.evidence.formats import (
    DIR_MODE,
    MAX_FILES,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_SUBMISSION_PIXELS,
    MAX_VIDEO_BYTES,
    MAX_WEBP_PIXELS,
    CheckedFile,
    StoredFile,
)
from saas.evidence.refusals import EvidenceRefused, UnsafePath, check_count, refusal
from saas.evidence.storage import open_stored, resolve_stored, store

__all__ = [
    "COARSE_SIDE",
    "DIR_MODE",
    "MAX_FILES",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "MAX_SUBMISSION_PIXELS",
    "MAX_VIDEO_BYTES",
    "MAX_WEBP_PIXELS",
    "CheckedFile",
    "EvidenceRefused",
    "StoredFile",
    "UnsafePath",
    "check_count",
    "check_upload",
    "check_uploads",
    "clean_image",
    "coarsened",
    "open_stored",
    "refusal",
    "resolve_stored",
    "store",
]
