"""A small client of the portal's API, as the patient app's backend would write it.

It needs only `requests`. Run it against a portal:

    PORTAL_URL=http://127.0.0.1:8000 PORTAL_API_KEY=dsr_... python docs/examples/api_client.py

It submits an access request for a test patient, reads its status, history and messages, sends
the patient's message, withdraws the request and prints each answer. Every refusal comes back in
one form, {"errors": {"field": ["reason", ...]}}, which `ApiError` carries.
"""

import os
import sys
import uuid

import requests


class ApiError(Exception):
    def __init__(self, status: int, errors: dict[str, list[str]]):
        super().__init__(f"{status}: {errors}")
        self.status, self.errors = status, errors


class PortalApi:
    def __init__(self, base_url: str, key: str, language: str = "nl"):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {key}", "Accept-Language": language})

    def _call(self, method: str, path: str, **kwargs) -> dict:
        response = self.http.request(method, self.base + path, timeout=30, **kwargs)
        if response.status_code >= 400:
            is_json = response.headers.get("Content-Type", "").startswith("application/json")
            errors = response.json().get("errors", {}) if is_json else {"": [response.text[:200]]}
            raise ApiError(response.status_code, errors)
        return response.json()

    def submit(self, request: dict, idempotency_key: str) -> dict:
        # The same key with the same body returns the first answer: a retry after a timeout
        # never makes a second request.
        return self._call(
            "POST", "/requests", json=request, headers={"Idempotency-Key": idempotency_key}
        )

    def status(self, reference: str) -> dict:
        return self._call("GET", f"/requests/{reference}")

    def history(self, reference: str) -> dict:
        return self._call("GET", f"/requests/{reference}/history")

    def messages(self, reference: str) -> dict:
        return self._call("GET", f"/requests/{reference}/messages")

    def send_message(self, reference: str, body: str) -> dict:
        return self._call("POST", f"/requests/{reference}/messages", json={"body": body})

    def withdraw(self, reference: str) -> dict:
        return self._call("POST", f"/requests/{reference}/withdraw")


def main() -> int:
    api = PortalApi(os.environ["PORTAL_URL"], os.environ["PORTAL_API_KEY"])
    submitted = api.submit(
        {
            "practice": os.environ.get("PORTAL_PRACTICE", "01234567"),
            "kind": "access",
            "patient": {
                "name": "Jan Jansen",
                "birth_date": "1980-05-17",
                "email": "jan.jansen@example.com",
            },
            "description": "Ik wil graag inzage in mijn gegevens.",
        },
        idempotency_key=str(uuid.uuid4()),
    )
    reference = submitted["reference"]
    print("submitted", reference, submitted["state"])
    print("status", api.status(reference)["state"])
    for step in api.history(reference)["steps"]:
        print("history", step["at"], step["event"], step["text"])
    conversation = api.messages(reference)
    print("may write", conversation["may_write"], "messages", len(conversation["messages"]))
    if conversation["may_write"]:
        api.send_message(reference, "Mijn patiëntnummer is P-123.")
        print("message sent")
    print("withdrawn", api.withdraw(reference)["state"])
    try:
        api.status("AAAA-0000")
    except ApiError as refused:
        print("refused", refused.status, refused.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
