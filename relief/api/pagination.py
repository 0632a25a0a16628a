from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # The schema says page_size is an integer: refuse anything else rather than silently use 50.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit()):
            raise exceptions.ValidationError({self.page_size_query_param: [_("请输入整数。")]})
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        # `page` is an integer in the schema: an empty or non-numeric value is a 400, not page 1
        # (a page number past the last stays DRF's 404).
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not (raw.isascii() and raw.isdigit()):
            raise exceptions.ValidationError({self.page_query_param: [_("请输入整数。")]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        # What get_page_size accepts: digits only (0 and above; 0 or past max_page_size give the
        # default and the maximum).
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 0}
            if parameter["name"] == self.page_query_param:
                # what get_page_number accepts: digits only; pages start at 1
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
