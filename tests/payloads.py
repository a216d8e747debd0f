"""What clients send: the app's API body and the web intake form."""

URL = "/api/v1/requests"


def body(**changes):
    data = {
        "practice": "01234567",
        "kind": "access",
        "patient": {
            "name": "Jan Jansen",
            "birth_date": "1980-05-17",
            "email": "jan@example.com",
            "phone": "06 87654321",
            "patient_number": "P-123",
            "bsn": "123456782",
        },
        "description": "Ik wil inzage in mijn gegevens.",
    }
    patient_changes = changes.pop("patient", {})
    data.update(changes)
    data["patient"].update(patient_changes)
    for key in [k for k, v in data["patient"].items() if v is None]:
        del data["patient"][key]
    return data


def details(**changes):
    data = {
        "kind": "erasure",
        "name": "Jan  Jansen",
        "birth_date": "1980-05-17",
        "email": "jan@example.com",
        "phone": "06 87654321",
        "patient_number": "",
        "description": "Verwijder mijn berichten.",
        "confirm": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
