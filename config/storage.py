"""Static files storage for production (issue 18): WhiteNoise's hashed names
and compressed copies. Brotli copies (smaller than gzip, slower to make: about
a minute of CPU for the admin theme, the API docs and the rest) unless
``STATIC_BROTLI=0``; gzip copies always."""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs):
        return super().create_compressor(use_brotli=settings.STATIC_BROTLI, **kwargs)
