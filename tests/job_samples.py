"""A periodic job for the live tests (``JOBS_EXTRA=sample=job_samples:slow@1``): it
takes ``JOB_SAMPLE_SECONDS`` — long enough to kill its runner mid-job."""
from __future__ import annotations

import os
import time


def slow() -> str:
    time.sleep(float(os.environ.get("JOB_SAMPLE_SECONDS") or "1"))
    return "slept"
