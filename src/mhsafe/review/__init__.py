"""mhsafe.review: the clinician review web app.

Clinicians work through the queue the audit fills (flagged conversations plus a random sample
of unflagged ones) and their adjudications flow back into every estimate. ``create_app`` builds
the FastAPI app; ``compute_metrics`` recomputes the judge-vs-clinician and end-to-end figures
from final adjudications; ``seed_demo`` fills a store with a small demo queue.
"""

from mhsafe.review._app import PUBLIC_PATHS, create_app
from mhsafe.review._export import adjudications_csv, adjudications_parquet, write_export
from mhsafe.review._form import AdjudicationAnswers, FormSpec, load_form_spec, parse_answers
from mhsafe.review._metrics import ReviewMetrics, UnflaggedBound, compute_metrics
from mhsafe.review._security import hash_password, password_problem, verify_password
from mhsafe.review._seed import demo_items, seed_demo

__all__ = [
    "PUBLIC_PATHS",
    "AdjudicationAnswers",
    "FormSpec",
    "ReviewMetrics",
    "UnflaggedBound",
    "adjudications_csv",
    "adjudications_parquet",
    "compute_metrics",
    "create_app",
    "demo_items",
    "hash_password",
    "load_form_spec",
    "parse_answers",
    "password_problem",
    "seed_demo",
    "verify_password",
    "write_export",
]
