from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import user_roles
from core.throttles import LoginThrottle


class TokenApi(ObtainAuthToken):
    """`POST username, password` -> `{"token": "..."}`; send it as `Authorization: Token <token>`."""

    throttle_classes = [LoginThrottle]


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        stores = serializers.ListField(child=serializers.DictField())
        permissions = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        user = request.user
        return Response(
            {
                "username": user.get_username(),
                "roles": user_roles(user),
                "stores": [{"code": s.code, "name": s.name} for s in user.stores.order_by("code")],
                "permissions": sorted(user.get_all_permissions()),
            }
        )
