"""How long a patient waits for a letter: the HTML page's document versus its PDF (WeasyPrint),
side by side in one run, on a refusal letter (the longest body). No database: the letter is
drawn from unsaved objects, so the figure is the rendering alone.

    .venv/bin/python bench/letter_pdf.py [--count 50]
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.utils import timezone

    from requests_app.models import Practice, Request, RequestEvent
    from workflows.casework import letters

    practice = Practice(
        name="Huisartsenpraktijk De Linde",
        agb_code="01234567",
        street="Lindelaan 1",
        postcode="3511AB",
        city="Utrecht",
        dpo_name="Anna de Vries",
        dpo_email="fg@praktijk.example",
        dpo_phone="+31612345678",
    )
    item = Request(
        reference="ABCDE-FGHJK",
        kind="access",
        practice=practice,
        patient_name="Jan Jansen",
        patient_birth_date=datetime.date(1980, 5, 17),
        patient_email="jan@example.com",
        language="nl",
        received_at=timezone.now(),
        decision="refused",
        decision_reason="Inzage zou de privacy van een ander schaden. " * 8,
        legal_ground="rights_of_others",
    )
    event = RequestEvent(request=item, at=timezone.now(), actor=None, action="refuse")
    kind = letters.LETTERS["refusal"]
    letter = letters.Letter("refusal", kind, item, event, "Petra de Boer", "handler", {})

    started = time.perf_counter()
    first_pdf = letters.render_pdf(letter)
    cold = time.perf_counter() - started

    def timed(fn) -> list[float]:
        found = []
        for _ in range(args.count):
            started = time.perf_counter()
            fn(letter)
            found.append((time.perf_counter() - started) * 1000)
        return found

    html = timed(letters.render_document)
    pdf = timed(letters.render_pdf)
    print(f"letter: refusal, {len(first_pdf)} bytes of PDF; {args.count} renderings each")
    print(f"first PDF in the process (imports WeasyPrint): {cold * 1000:.0f} ms")
    for name, values in (("HTML document", html), ("PDF", pdf)):
        q = statistics.quantiles(values, n=20)
        print(
            f"{name:14s} median {statistics.median(values):7.1f} ms"
            f"  p95 {q[18]:7.1f} ms  max {max(values):7.1f} ms"
        )


if __name__ == "__main__":
    main()
