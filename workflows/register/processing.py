"""The processor's register of processing activities for one practice (GDPR art. 30(2)), given to
the practice on request (agreement art. 3.5): built from the data the portal holds, as one
document with every text in Dutch and English (the JSON file, docs/processing-register.schema.json),
and from it the page and the CSV file in one language. Every export is audit-logged."""

import csv
import io

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from requests_app import audit
from requests_app.models import (
    AuditAction,
    DataCategory,
    Practice,
    ProcessingActivity,
    ProcessorContact,
    RetentionRule,
    SecurityMeasure,
    SubProcessor,
    SubProcessorApproval,
    TransferMechanism,
)
from workflows.csv_cells import safe_cell

SCHEMA = "processing-register"
SCHEMA_VERSION = "1.0"
LANGUAGES = ("nl", "en")
FORMATS = ("page", "json", "csv")


def _both(make) -> dict[str, str]:
    """A text in Dutch and in English: `make()` evaluated under each language."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = str(make())
    return texts


def _pair(row, field: str) -> dict[str, str]:
    return {"nl": getattr(row, f"{field}_nl"), "en": getattr(row, field)}


def _category(key: str) -> dict:
    return {"key": key, "label": _both(lambda: DataCategory(key).label)}


def _retention(activity: ProcessingActivity, practice: Practice) -> dict:
    rule = activity.retention_rule
    if rule == RetentionRule.PRACTICE_REQUESTS:
        years = practice.retention_years
        return {
            "rule": rule,
            "years": years,
            "text": _both(
                lambda: (
                    _("%(years)s years after the request was closed (the practice's setting)")
                    % {"years": years}
                )
            ),
        }
    if rule == RetentionRule.AUDIT_LOG:
        years = settings.AUDIT_RETENTION_YEARS
        return {
            "rule": rule,
            "years": years,
            "text": _both(
                lambda: (
                    _(
                        "at least %(years)s years, and as long as the request a record concerns is "
                        "kept"
                    )
                    % {"years": years}
                )
            ),
        }
    if rule == RetentionRule.PACKAGES:
        days = settings.PACKAGE_RETENTION_DAYS
        link = settings.PACKAGE_LINK_DAYS
        return {
            "rule": rule,
            "days": days,
            "text": _both(
                lambda: (
                    _(
                        "%(days)s days after release to the patient; the download link works for "
                        "%(link)s days"
                    )
                    % {"days": days, "link": link}
                )
            ),
        }
    return {"rule": rule, "text": _pair(activity, "retention")}


def _person(name: str, email: str, phone: str) -> dict | None:
    if not (name or email):
        return None
    return {"name": name, "email": email, "phone": phone}


def build(practice: Practice) -> dict:
    """The register for `practice`: only the sub-processors it approved, never another's."""
    approvals = {
        a.subprocessor_id: a
        for a in SubProcessorApproval.objects.filter(practice=practice).select_related(
            "subprocessor"
        )
    }
    subprocessors = SubProcessor.objects.approved_for(practice)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "processor": {
            "name": settings.PROCESSOR_NAME,
            "address": settings.PROCESSOR_ADDRESS,
            "email": settings.PROCESSOR_EMAIL,
            "contacts": [
                {
                    "role": c.role,
                    "role_label": _both(c.get_role_display),
                    "name": c.name,
                    "function": c.function,
                    "email": c.email,
                    "phone": c.phone,
                }
                for c in ProcessorContact.objects.in_order()
            ],
        },
        "controller": {
            "name": practice.name,
            "agb_code": practice.agb_code,
            "address": {
                "street": practice.street,
                "postcode": practice.postcode,
                "city": practice.city,
            },
            "dpo": _person(practice.dpo_name, practice.dpo_email, practice.dpo_phone),
            "standin": _person(
                practice.standin_name, practice.standin_email, practice.standin_phone
            ),
        },
        "processing": [
            {
                "key": a.key,
                "source": a.source,
                "name": _pair(a, "name"),
                "nature": _pair(a, "nature"),
                "purposes": _pair(a, "purposes"),
                "data_subjects": _pair(a, "data_subjects"),
                "data_categories": [_category(c) for c in a.categories if c in DataCategory.values],
                "other_data": _pair(a, "other_data") if a.other_data else None,
                "retention": _retention(a, practice),
            }
            for a in ProcessingActivity.objects.filter(active=True)
        ],
        "subprocessors": [
            {
                "name": s.name,
                "service": _pair(s, "service"),
                "location": _pair(s, "location"),
                "inside_eea": s.inside_eea,
                "transfer_mechanism": None
                if s.inside_eea
                else {
                    "key": s.transfer_mechanism,
                    "text": _both(lambda s=s: TransferMechanism(s.transfer_mechanism).label),
                },
                "data_categories": [_category(c) for c in s.categories if c in DataCategory.values],
                "approved_on": approvals[s.pk].approved_on.isoformat(),
                "evidence": approvals[s.pk].evidence,
            }
            for s in subprocessors
        ],
        "security_measures": [
            {
                "kind": m.kind,
                "source": m.source,
                "title": _pair(m, "title"),
                "description": _pair(m, "description"),
            }
            for m in SecurityMeasure.objects.filter(active=True)
        ],
    }


def localised(value, language: str):
    """The document with each {nl, en} text replaced by the text in `language`."""
    if isinstance(value, dict):
        if set(value) == set(LANGUAGES):
            return value[language]
        return {k: localised(v, language) for k, v in value.items()}
    if isinstance(value, list):
        return [localised(v, language) for v in value]
    return value


def csv_text(document: dict, language: str) -> str:
    """The register as CSV in one language: one row per fact (section, item, field, value), so
    a spreadsheet can filter it; cells never run as formulas."""
    doc = localised(document, language)
    rows: list[tuple] = []

    def add(section: str, item: str, field: str, value) -> None:
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        rows.append((section, item, field, "" if value is None else value))

    processor = doc["processor"]
    for field in ("name", "address", "email"):
        add("processor", processor["name"], field, processor[field])
    for contact in processor["contacts"]:
        for field in ("name", "function", "email", "phone"):
            add("processor_contact", contact["role_label"], field, contact[field])
    controller = doc["controller"]
    add("controller", controller["name"], "agb_code", controller["agb_code"])
    address = controller["address"]
    add(
        "controller",
        controller["name"],
        "address",
        f"{address['street']}, {address['postcode']} {address['city']}",
    )
    for who in ("dpo", "standin"):
        for field, value in (controller[who] or {}).items():
            add("controller", controller["name"], f"{who}_{field}", value)
    for activity in doc["processing"]:
        for field in ("nature", "purposes", "data_subjects", "other_data"):
            add("processing", activity["name"], field, activity[field])
        add(
            "processing",
            activity["name"],
            "data_categories",
            [c["label"] for c in activity["data_categories"]],
        )
        add("processing", activity["name"], "retention", activity["retention"]["text"])
    for sub in doc["subprocessors"]:
        for field in ("service", "location", "inside_eea", "approved_on", "evidence"):
            add("subprocessor", sub["name"], field, sub[field])
        mechanism = sub["transfer_mechanism"]
        add("subprocessor", sub["name"], "transfer_mechanism", mechanism and mechanism["text"])
        add(
            "subprocessor",
            sub["name"],
            "data_categories",
            [c["label"] for c in sub["data_categories"]],
        )
    for measure in doc["security_measures"]:
        add("security_measure", measure["title"], measure["kind"], measure["description"])

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "field", "value"])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def record_export(practice: Practice, *, actor, fmt: str, language: str) -> None:
    """Every copy of the register given out is in the audit log: who, which practice, which form."""
    audit.record(
        "register.export",
        AuditAction.EXECUTE,
        user=actor,
        object_type="processing_register",
        object_id=str(practice.pk),
        purpose="agreement art. 3.5",
        practice_id=practice.pk,
        details={"format": fmt, "language": language},
    )
