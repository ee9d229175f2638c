"""Resumable uploads, in the spirit of the tus protocol.

1. ``POST /api/uploads/`` with the file name and size → a session with ``offset`` 0.
2. ``PATCH /api/uploads/{id}/`` with header ``Upload-Offset: N`` and the next bytes as the raw
   body (``application/offset+octet-stream``) → 204 with the new ``Upload-Offset``. A wrong
   offset is a 409 whose body gives the server's offset; resume from there.
3. ``HEAD /api/uploads/{id}/`` → the current ``Upload-Offset``, after a dropped connection.
4. ``POST /api/uploads/{id}/complete/`` → the bytes are hashed in one pass, checked against
   the expected hashes, stored by content and queued for scanning.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.models import ApiKey
from governance.errors import ValidationFailed

from .. import services
from ..models import UploadSession
from .serializers import UploadCreateSerializer, UploadSessionSerializer


class OffsetOctetStreamParser(BaseParser):
    """Declares the chunk media type; the view streams the body itself, never parses it."""

    media_type = "application/offset+octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        raise RuntimeError("upload chunks are streamed by the view, not parsed")


def _session(request: Request, pk) -> UploadSession:
    return get_object_or_404(UploadSession, pk=pk, created_by=request.user)


class UploadListView(APIView):
    required_scope = ApiKey.Scope.REQUEST
    problem_statuses = {"post": [404]}  # a version you may not see, as a missing one

    @extend_schema(request=UploadCreateSerializer, responses={201: UploadSessionSerializer})
    def post(self, request: Request) -> Response:
        """Open a resumable upload."""
        data = UploadCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        session = services.start_upload(user=request.user, **data.validated_data)
        return Response(UploadSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class UploadDetailView(APIView):
    required_scope = ApiKey.Scope.REQUEST
    parser_classes = [OffsetOctetStreamParser]

    @extend_schema(responses=UploadSessionSerializer)
    def get(self, request: Request, pk) -> Response:
        """The state of an upload."""
        return Response(UploadSessionSerializer(_session(request, pk)).data)

    def head(self, request: Request, pk) -> Response:
        session = _session(request, pk)
        return Response(headers={"Upload-Offset": str(session.offset), "Cache-Control": "no-store"})

    @extend_schema(
        request={"application/offset+octet-stream": bytes},
        parameters=[OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True)],
        responses={204: None},
    )
    def patch(self, request: Request, pk) -> Response:
        """Append the request body at ``Upload-Offset``."""
        session = _session(request, pk)
        raw = request.headers.get("Upload-Offset", "")
        if not raw.isdigit():
            raise ValidationFailed(
                "Upload-Offset header is required", errors={"Upload-Offset": ["required"]}
            )
        length = int(request.headers.get("Content-Length") or 0)
        if length > settings.HUBGATE_UPLOAD_MAX_CHUNK_BYTES:
            raise ValidationFailed(
                f"A chunk may be at most {settings.HUBGATE_UPLOAD_MAX_CHUNK_BYTES} bytes",
                errors={"Content-Length": ["too large"]},
            )
        body = request._request  # stream the raw body; never load it whole
        offset = services.append_chunk(
            session=session,
            offset=int(raw),
            chunks=iter(lambda: body.read(1024 * 1024), b""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"Upload-Offset": str(offset)})

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk) -> Response:
        """Abandon an upload and delete what was received."""
        services.abort_upload(session=_session(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadCompleteView(APIView):
    required_scope = ApiKey.Scope.REQUEST

    @extend_schema(request=None, responses=UploadSessionSerializer)
    def post(self, request: Request, pk) -> Response:
        """Verify and store a fully received upload; it is then queued for scanning."""
        session = services.complete_upload(session=_session(request, pk))
        return Response(UploadSessionSerializer(session).data)
