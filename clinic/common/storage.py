"""Private file storage: PDFs and exports live outside any public URL space."""

from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage with no URL: files leave only through authorised views."""

    def url(self, name):
        raise NotImplementedError(
            "Private files have no public URL; serve them through an authorised view."
        )
