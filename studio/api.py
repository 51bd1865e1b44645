"""API plumbing shared by every app: pagination and error translation."""
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from rest_framework import pagination, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .db_errors import CODE as DATABASE_ERROR_CODE
from .db_errors import RETRY_AFTER_SECONDS, database_error_message
from .errors import DomainError

logger = logging.getLogger(__name__)


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        """The page size asked for, or the default; a bad one is refused with a 400 (DRF would
        quietly fall back to the default and leave the client wondering)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise serializers.ValidationError({self.page_size_query_param: [
                _("每页条数须为 1 到 %(max)d 的整数。") % {"max": self.max_page_size}]})
        return int(raw)


def exception_handler(exc, context):
    """Domain refusals answer 409; model validation errors answer 400 with field errors; a
    database that fails answers 503 with a message (logged with its traceback), not a 500."""
    if isinstance(exc, DatabaseError):
        logger.error("database error in %s", type(context.get("view")).__name__,
                     exc_info=(type(exc), exc, exc.__traceback__))
        set_rollback()
        return Response({"detail": database_error_message(), "code": DATABASE_ERROR_CODE},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        else:
            data = {"non_field_errors": list(exc.messages)}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def validated_body(serializer_class, request) -> dict:
    """The request body checked by `serializer_class`: 400 with field errors if it is not valid."""
    body = serializer_class(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    return body.validated_data
