"""The shapes most API endpoints take, for every app's apis.py (the kernel knows no app:
selectors and serializers are given to it as class attributes), so that each endpoint declares
only what is its own.

- `ScopedListApi`: a list that starts from a selector of the user (`selector = orders_for_list`),
  with its filterset and pagination; `ScopedDetailApi`: one object found through its selector
  (404 out of scope). `ScopedListCreateApi`: a list that also makes one (POST): it declares its
  input and summaries and implements `create(request, data)`; the answer is what it made.
- `ObjectActionApi`: a POST on one object the user may see. A subclass declares `visible_to`
  (its `*_visible_to` selector: an id out of scope answers 404), `lookup_url_kwarg` (the id in
  the path), `step` (the step map's permission and input serializer) or `required_perm` and
  `input_serializer`, `output_serializer`, `reread` (the list's selector with its joins, when the
  answer is a row of the list), `summary`, and implements only `act(request, obj, data)`. Its
  OpenAPI operation (path id, request, response, summary) is built from those declarations.

Apart from studio.api because DRF imports studio.api.Pagination while it defines its generic
views: a module that imports rest_framework.generics cannot be the one that defines it.
The classes are documented in comments, not docstrings: drf-spectacular reads a view's
docstring, up its bases, as the operation's description in the public schema.
"""
from collections.abc import Callable, Sequence
from inspect import isfunction
from typing import Any

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import validated_body
from .permissions import ReadOrWritePerm
from .workflow import Step

# A selector: the user's queryset of a model (`orders_visible_to(user)`, a list's own selector).
Selector = Callable[[Any], QuerySet]


def path_id(name: str) -> OpenApiParameter:
    """The schema of an integer id in the URL's path (`order_id`)."""
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH)


def _keep_plain(cls: type, *names: str) -> None:
    """Selectors given as class attributes stay plain functions of the user, not methods."""
    for name in names:
        if isfunction(cls.__dict__.get(name)):
            setattr(cls, name, staticmethod(cls.__dict__[name]))


# A view whose queryset is `selector(user)`: a `*_visible_to` selector or the list's own, with
# the joins its serializer reads. `summary`, when declared, is its GET's in the schema.
class _Scoped(generics.GenericAPIView):
    selector: Selector
    summary: str

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _keep_plain(cls, "selector")
        if "summary" in cls.__dict__:
            extend_schema_view(get=extend_schema(summary=cls.summary))(cls)

    def get_queryset(self) -> QuerySet:
        return self.selector(self.request.user)


# ScopedListApi: a list of what the user may see. The subclass declares `required_perm`,
# `serializer_class`, `filterset_class` and `selector`.
class ScopedListApi(_Scoped, generics.ListAPIView):
    pass


# ScopedDetailApi: one object the user may see, by the `pk` in the path (404 out of scope).
class ScopedDetailApi(_Scoped, generics.RetrieveAPIView):
    pass


# What the two kinds of POST below share. The input is `input_serializer`, else the `step`'s,
# whose permission is then the one a POST needs (`perm_of_step` names the attribute). The
# answer is `output_serializer` of what the POST made, as `output` re-reads it.
class _Post:
    step: Step | None = None
    input_serializer: type[serializers.Serializer] | None = None
    output_serializer: type[serializers.Serializer] | None = None
    reread: Selector | None = None
    perm_of_step = "required_perm"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _keep_plain(cls, "visible_to", "reread")
        if cls.step is not None:
            if cls.perm_of_step not in cls.__dict__:
                setattr(cls, cls.perm_of_step, cls.step.permission)
            if "input_serializer" not in cls.__dict__:
                cls.input_serializer = cls.step.serializer_class

    def answer(self, made: Any, code: int) -> Response:
        output = self.output_serializer(self.output(made), context={"request": self.request})
        return Response(output.data, status=code)

    def output(self, made: Any) -> Any:
        raise NotImplementedError


# ScopedListCreateApi: a ScopedListApi that also makes one (POST). Reads need `read_perm`, a POST
# `write_perm` (the step's permission when there is a `step`). The subclass declares
# `summary` (the list's), `create_summary`, the input (`input_serializer` or `step`) and implements
# `create(request, data)`; the answer is 201 with what it made, re-read through `reread` or else
# the list's selector, as `output_serializer` (else the list's serializer) shows it. A list whose
# POST is of another kind declares no `create_summary`, and its own `post` and schema.
class ScopedListCreateApi(_Post, ReadOrWritePerm, ScopedListApi):
    perm_of_step = "write_perm"
    create_summary: str

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.output_serializer is None:
            cls.output_serializer = cls.serializer_class
        if "create_summary" in cls.__dict__:
            extend_schema_view(post=extend_schema(
                request=cls.input_serializer, responses={status.HTTP_201_CREATED: cls.output_serializer},
                summary=cls.create_summary))(cls)

    def post(self, request: Request) -> Response:
        made = self.create(request, validated_body(self.input_serializer, request))
        return self.answer(made, status.HTTP_201_CREATED)

    def create(self, request: Request, data: dict) -> Model:
        raise NotImplementedError

    def output(self, made: Model) -> Model:
        return (self.reread or self.selector)(self.request.user).get(pk=made.pk)


# ObjectActionApi: a POST on one object the user may see (see the module's docstring). `post`
# finds the object through `visible_to` (404 out of scope), checks the body with the input
# serializer (400 with field errors; none when the step takes no input), calls `act`, and answers
# `output_serializer` of what `act` returns, re-read through `reread` when it is given (a
# subclass may override `output` for another re-reading), with 201 when `created`. What `act`
# refuses, studio.api.exception_handler answers: 403, 400 or 409. A base of several endpoints
# declares what they share and no `summary`: only a class with a `summary` gets an operation.
class ObjectActionApi(_Post, APIView):
    visible_to: Selector
    lookup_url_kwarg: str
    created: bool = False
    summary: str
    parameters: Sequence[OpenApiParameter] = ()  # besides the id in the path

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "summary" in cls.__dict__:
            extend_schema_view(post=extend_schema(
                parameters=[path_id(cls.lookup_url_kwarg), *cls.parameters],
                request=cls.input_serializer,
                responses={cls.answer_status(): cls.output_serializer},
                summary=cls.summary))(cls)

    @classmethod
    def answer_status(cls) -> int:
        return status.HTTP_201_CREATED if cls.created else status.HTTP_200_OK

    def post(self, request: Request, **kwargs) -> Response:
        obj = get_object_or_404(self.visible_to(request.user), pk=kwargs[self.lookup_url_kwarg])
        data = validated_body(self.input_serializer, request) if self.input_serializer else {}
        return self.answer(self.act(request, obj, data), self.answer_status())

    def act(self, request: Request, obj: Model, data: dict) -> Any:
        raise NotImplementedError

    def output(self, made: Any) -> Any:
        return made if self.reread is None else self.reread(self.request.user).get(pk=made.pk)
