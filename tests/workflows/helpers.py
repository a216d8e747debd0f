"""Steps the package and erasure tests share."""

import io
import zipfile

from workflows.assistance import packages
from workflows.assistance import tasks as assistance


def started(item, handler, support, kind, **extra):
    task = assistance.request_assistance(
        item, actor=handler, kind=kind, instruction="Graag alles", **extra
    )
    return assistance.start(task, actor=support)


def unzip(package) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(packages.open_package(package))))


def deliver_and_accept(task, handler, support):
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets aanwezig")
    task = assistance.deliver(task, actor=support)
    packages.record_download(task.package, user=handler, who="practice")  # the review
    return assistance.accept(task, actor=handler)
