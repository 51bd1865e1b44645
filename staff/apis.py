"""API: who am I (the token's owner, their store and role)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    role_display = serializers.CharField(allow_null=True)
    store = serializers.CharField(allow_null=True)
    permissions = serializers.ListField(child=serializers.CharField())


class MeApi(APIView):
    required_perm = None  # every active staff member may ask who they are

    @extend_schema(responses=MeSerializer, summary="当前登录员工")
    def get(self, request):
        user = request.user
        profile = getattr(user, "staff_profile", None)
        data = {
            "username": user.username,
            "name": user.display_name,
            "role": profile.role if profile else None,
            "role_display": profile.get_role_display() if profile else None,
            "store": profile.store.name if profile else None,
            "permissions": sorted(user.get_all_permissions()),
        }
        return Response(MeSerializer(data).data)
