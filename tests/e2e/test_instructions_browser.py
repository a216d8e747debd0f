"""In the browser: processor support objects to a practice's instruction (agreement art. 3.3),
the practice changes it, support records its time (art. 9); the practice's FG asks a DPIA
question (art. 6.4) and reads the monthly charges; support records a legal order through its
form and tells the practice (art. 3.4). Screenshots go to SCREENSHOTS_DIR when set."""

import pytest
from django.utils import timezone

from requests_app.models import AssistanceTask, GeneralTask, LegalOrder, TaskState, TimeEntry
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page
from tests.factories import decided, make_user
from workflows.assistance import tasks as assistance

pytestmark = pytest.mark.e2e


def test_objection_changed_instruction_time_and_a_dpia_question(
    live_server,
    browser,
    shots,
    transactional_db,
    migration_data,
    practice,
    patient,
    handler,
    support,
):
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.request_assistance(
        item,
        actor=handler,
        kind="erase",
        instruction="Wis ook alle back-ups van de afgelopen jaren.",
    )
    task = assistance.start(task, actor=support)

    staff = staff_page(browser, live_server, support, height=1400)
    staff.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    staff.get_by_text("Bezwaar maken tegen de instructie").click()
    staff.get_by_label("Waarom is de instructie in strijd met de wet?").fill(
        "Back-ups vallen onder de wettelijke bewaarplicht van de verwerker."
    )
    staff.get_by_role("button", name="Bezwaar maken en de praktijk inlichten").click()
    staff.get_by_text("Wacht op de praktijk: bezwaar").first.wait_for()
    assert AssistanceTask.objects.get(pk=task.pk).state == TaskState.OBJECTED

    practice_page = staff_page(browser, live_server, handler, height=1400)
    practice_page.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    practice_page.get_by_text("Back-ups vallen onder de wettelijke bewaarplicht").first.wait_for()
    snap(practice_page, shots, "task-objected")
    practice_page.get_by_text("De instructie wijzigen").click()
    practice_page.get_by_label("De nieuwe instructie").fill("Wis alleen de gegevens in de app.")
    practice_page.get_by_role("button", name="Nieuwe instructie geven").click()
    practice_page.get_by_text("Instructie gewijzigd door de praktijk").first.wait_for()
    task = AssistanceTask.objects.get(pk=task.pk)
    assert task.state == TaskState.IN_PROGRESS
    assert task.instruction == "Wis alleen de gegevens in de app."

    staff.reload()
    staff.get_by_text("Tijd registreren").click()
    staff.get_by_label("Minuten").fill("45")
    staff.get_by_label("Functie (Bijlage 3)").select_option("Applicatiebeheer")
    staff.get_by_label("In rekening tegen de tarieven van Bijlage 3").check()
    staff.get_by_label("Wat er is gedaan", exact=True).fill("Instructie nagelopen met de praktijk")
    staff.get_by_role("button", name="Vastleggen").click()
    staff.get_by_text("De tijd is geregistreerd.").wait_for()
    entry = TimeEntry.objects.get()
    assert entry.minutes == 45 and str(entry.cost) == "67.50"
    staff.get_by_text("Tijd registreren").click()
    snap(staff, shots, "task-time-support")

    fg = make_user("fg-browser@practice.example", Role.DPO, practice)
    fg_page = staff_page(browser, live_server, fg, height=1200)
    fg_page.goto(live_server.url + "/staff/general/")
    fg_page.get_by_role("link", name="De verwerker om hulp vragen").click()
    snap(fg_page, shots, "general-new")
    fg_page.get_by_label("Privacy impact assessment (DPIA)").check()
    fg_page.get_by_label("Onderwerp", exact=True).fill("DPIA beeldbellen")
    fg_page.get_by_label("Uw vraag aan de verwerker").fill(
        "Welke subverwerkers verwerken de beelden van een videoconsult, en in welk land?"
    )
    fg_page.get_by_role("button", name="Naar de verwerker sturen").click()
    fg_page.get_by_text("Vraag G").first.wait_for()
    question = GeneralTask.objects.get()
    assert question.kind == "dpia" and question.requested_by == fg
    snap(fg_page, shots, "general-task")
    fg_page.goto(live_server.url + "/staff/general/")
    snap(fg_page, shots, "general-list")

    practice_page.goto(
        live_server.url + f"/staff/charges/?practice={practice.pk}"
        f"&month={timezone.localdate():%Y-%m}"
    )
    practice_page.get_by_text("67,50").first.wait_for()
    snap(practice_page, shots, "charges")

    staff.goto(live_server.url + "/staff/orders/")
    staff.get_by_role("link", name="Verplichting vastleggen").click()
    snap(staff, shots, "legal-order-new")
    staff.get_by_label(practice.name).check()
    staff.get_by_label("Instantie").fill("Officier van justitie Midden-Nederland")
    staff.get_by_label("Wettelijk voorschrift, of rechterlijk of bestuurlijk bevel").fill(
        "art. 126nd Wetboek van Strafvordering"
    )
    staff.get_by_label("Kenmerk").fill("OvJ-2026-0412")
    staff.get_by_label("Welke verwerking het vereist").fill(
        "Verstrekken van de inloggegevens van één account over maart 2026."
    )
    staff.get_by_label("Ontvangen op").fill(timezone.localdate().isoformat())
    staff.get_by_label("Geplande datum van verwerking").fill(timezone.localdate().isoformat())
    staff.get_by_role("button", name="Vastleggen").click()
    staff.get_by_text("voor elke betrokken praktijk vastgelegd").first.wait_for()
    order = LegalOrder.objects.get()
    assert order.order_reference == "OvJ-2026-0412" and order.practice == practice
    staff.get_by_role("button", name="Praktijk nu inlichten").click()
    staff.get_by_text("Praktijk vooraf ingelicht").first.wait_for()
    assert LegalOrder.objects.get().state == "notified"
    staff.get_by_text("Verwerking als uitgevoerd vastleggen").click()
    snap(staff, shots, "legal-order-support")
    practice_page.goto(live_server.url + f"/staff/orders/{order.pk}/")
    snap(practice_page, shots, "legal-order-practice")
