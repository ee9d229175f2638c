"""The CI gate check over the API."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.idempotency import idempotent
from governance.api.scopes import Scope

from ..check import CheckItem, check_gate
from . import serializers


class GateCheckView(APIView):
    """The CI quality gate: is each file (by hash) or version (by reference) approved for
    the intended use? Answers 200 with ``outcome`` pass or fail either way."""

    required_scope = Scope.CI

    @extend_schema(
        request=serializers.GateCheckRequestSerializer,
        responses={200: serializers.GateCheckSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Check files or versions against an intended-use profile (scope ``ci``)."""
        data = serializers.GateCheckRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = check_gate(
            user=request.user,
            profile=values["profile"],
            items=[
                CheckItem(i.get("hash", ""), i.get("ref", ""), i["name"]) for i in values["items"]
            ],
            record_deployment=values["record_deployment"],
            ci=values.get("ci"),
        )
        return Response(serializers.render_check(result), status=status.HTTP_200_OK)
