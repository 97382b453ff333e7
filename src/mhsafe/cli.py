"""The `mhsafe` command line: wires rooms together and shows progress; no logic of its own.

Model names follow Inspect's convention everywhere (`--model`, `--judge`): `mhsafe/local`,
`openai/gpt-4o`, `openai-api/<service>/<model>`. The store URL comes from `--db` or `MHSAFE_DB`.
Each section below belongs to one room; keep command bodies to argument handling and output.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="mhsafe",
    help="Is a mental-health chatbot safe and clinically useful? Evidence with intervals.",
    no_args_is_help=True,
    add_completion=False,
)

# --- models: serve-local -------------------------------------------------------------------

# --- suites: suites, eval, compare ----------------------------------------------------------

# --- clinical: judge ------------------------------------------------------------------------

# --- audit: audit, synth-logs ----------------------------------------------------------------

# --- review: review (sub-app) ---------------------------------------------------------------

# --- safeguard: proxy -----------------------------------------------------------------------

# --- report: report, gate, demo -------------------------------------------------------------


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
