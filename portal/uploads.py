"""Where an uploaded file waits until it is checked and sealed: in memory, never on disk.

Django's default handlers write an upload over 2.5 MB to a temporary file in plaintext; a
practice's medical file must not lie on disk unencrypted, even for a moment. So each uploaded
file is kept in memory up to PRACTICE_DOCUMENT_MAX_BYTES; of a larger one only the size is
counted and nothing is kept, and the form refuses it as too large.
"""

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class CappedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.file = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received <= settings.PRACTICE_DOCUMENT_MAX_BYTES:
            self.file.write(raw_data)
        elif self.file.tell():
            self.file = io.BytesIO()  # too large: what was kept goes at once

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,  # the size sent, also when the content was not kept
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
