"""Extension points that let apps above `cases` (the escalation app) add to the case API without
`cases` importing them (see the app layering in DESIGN.md).

- `register_case_api_extra(func, *, schema_fields=None)`: `func(cases: list[Case]) ->
  dict[case_id, dict]` returns extra keys for each serialized case. It receives the whole page at
  once, so it can answer with a constant number of queries. `schema_fields` (name -> DRF field)
  documents those keys in the OpenAPI schema.
- `register_case_list_filter(name, func, *, schema_parameter=None)`: `func(queryset, value) ->
  queryset` adds a query parameter to `GET /api/v1/cases/`. It may raise
  `core.exceptions.InvalidInput` for a bad value. `schema_parameter` (a drf-spectacular
  `OpenApiParameter`) documents it.

Registrations happen in `AppConfig.ready()`, before any request and before the schema is built.
"""

from collections.abc import Callable

from django.db.models import QuerySet

_api_extras: list[Callable] = []
_list_filters: dict[str, Callable] = {}
_schema_fields: dict = {}
_schema_parameters: list = []


def register_case_api_extra(func: Callable, *, schema_fields: dict | None = None) -> Callable:
    if func not in _api_extras:
        _api_extras.append(func)
    _schema_fields.update(schema_fields or {})
    return func


def register_case_list_filter(name: str, func: Callable, *, schema_parameter=None) -> Callable:
    _list_filters[name] = func
    if schema_parameter is not None and all(p.name != name for p in _schema_parameters):
        _schema_parameters.append(schema_parameter)
    return func


def case_api_schema_fields() -> dict:
    return dict(_schema_fields)


def case_list_schema_parameters() -> list:
    return list(_schema_parameters)


def case_api_extras(cases: list) -> dict[int, dict]:
    merged: dict[int, dict] = {case.pk: {} for case in cases}
    for func in _api_extras:
        for case_id, extra in func(cases).items():
            merged.setdefault(case_id, {}).update(extra)
    return merged


def apply_case_list_filters(queryset: QuerySet, params) -> QuerySet:
    for name, func in _list_filters.items():
        value = params.get(name)
        if value:
            queryset = func(queryset, value)
    return queryset


def case_list_filter_names() -> list[str]:
    return list(_list_filters)
