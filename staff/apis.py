"""API: who am I (the token's owner, their store and role), and the stores' departments."""
import django_filters as filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.api_views import ScopedListApi

from .filters import StoreFilter
from .models import Department, DepartmentKind
from .scoping import scope_for


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


# --- Departments (a complaint's responsible department is one of its store's) ------------------

def departments_visible_to(user) -> QuerySet[Department]:
    """The departments of the stores the user works in (every store for a general manager):
    a store's directory, which its specialists need too (judging a complaint names one)."""
    scope = scope_for(user)
    if scope.nothing:
        return Department.objects.none()
    departments = Department.objects.select_related("store").order_by("store__code", "kind")
    return departments if scope.all_stores else departments.filter(store_id=scope.store_id)


class DepartmentSerializer(serializers.ModelSerializer):
    store_name = serializers.CharField(source="store.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "store", "store_name", "kind", "kind_display", "name"]


class DepartmentFilter(filters.FilterSet):
    store = StoreFilter(field_name="store_id")
    kind = filters.ChoiceFilter(choices=DepartmentKind.choices)

    class Meta:
        model = Department
        fields: list[str] = []


class DepartmentListApi(ScopedListApi):
    required_perm = "staff.view_department"
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    selector = departments_visible_to
    summary = "门店的部门（投诉的责任部门从中选）"
